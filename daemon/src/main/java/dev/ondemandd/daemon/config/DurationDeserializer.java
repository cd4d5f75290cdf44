package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import java.io.IOException;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code "250ms"}, {@code "30s"}, {@code "2m"}, {@code "1h"} as a {@link Duration}. */
public final class DurationDeserializer extends JsonDeserializer<Duration> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
        }
        String text = p.getText();
        Duration parsed = parse(text);
        if (parsed == null) {
            return (Duration) ctxt.handleWeirdStringValue(Duration.class, text,
                    "expected a duration like \"250ms\", \"30s\", \"2m\" or \"1h\"");
        }
        return parsed;
    }

    /** The duration {@code text} spells, or null when it is not one. */
    public static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }
}
