package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads a byte count: a non-negative integer, or {@code "64KiB"}, {@code "1MiB"}, {@code "1GiB"}. */
final class SizeDeserializer extends JsonDeserializer<Long> {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})\\s*(B|KiB|MiB|GiB)?");

    @Override
    public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
            long value = p.getLongValue();
            if (value < 0) {
                return (Long) ctxt.handleWeirdNumberValue(Long.class, value, "a size cannot be negative");
            }
            return value;
        }
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            return (Long) ctxt.handleUnexpectedToken(Long.class, p);
        }
        String text = p.getText();
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            return (Long) ctxt.handleWeirdStringValue(Long.class, text,
                    "expected a byte count like 1048576, \"64KiB\" or \"1MiB\"");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        return switch (unit) {
            case "KiB" -> n << 10;
            case "MiB" -> n << 20;
            case "GiB" -> n << 30;
            default -> n;
        };
    }
}
