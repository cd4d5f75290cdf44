package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads a {@link DaemonConfig} strictly: unknown keys, duplicate keys, wrong types, trailing garbage and
 * invalid values are all {@link ConfigException}s naming the JSON path of the key.
 */
public final class ConfigLoader {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigLoader() {
    }

    /** Reads and validates the file; the exception's message starts with the file name. */
    public static DaemonConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("", file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException("", file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (ConfigException e) {
            throw e.in(file);
        }
    }

    /** Reads and validates a configuration given as text. */
    public static DaemonConfig parse(String json) throws ConfigException {
        DaemonConfig config;
        try {
            config = MAPPER.readValue(json, DaemonConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException(e.getCause() instanceof JsonParseException ? "" : path(e), describe(e), e);
        }
        if (config == null) {
            throw new ConfigException("", "empty: expected a JSON object");
        }
        config.validate();
        return config;
    }

    private static String describe(JsonProcessingException e) {
        if (e.getCause() instanceof JsonParseException p) {
            return describe(p);
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            return "unknown key" + (known.isEmpty() ? "" : " (known keys here: " + known + ")");
        }
        if (e instanceof InvalidFormatException f) {
            return "bad value " + f.getValue() + ": " + firstLine(e.getOriginalMessage());
        }
        if (e instanceof MismatchedInputException m) {
            String type = m.getTargetType() == null ? "value" : m.getTargetType().getSimpleName();
            return "wrong type, expected " + article(type) + ": " + firstLine(e.getOriginalMessage());
        }
        if (e instanceof JsonParseException p) {
            String message = firstLine(p.getOriginalMessage());
            int source = message.indexOf(" (for ");
            return "not valid JSON at line " + p.getLocation().getLineNr() + ", column "
                    + p.getLocation().getColumnNr() + ": " + (source < 0 ? message : message.substring(0, source));
        }
        return firstLine(e.getOriginalMessage());
    }

    private static String article(String type) {
        return switch (type) {
            case "Integer", "Long" -> "integer";
            case "String" -> "string";
            case "List", "ArrayList" -> "list";
            default -> type;
        };
    }

    /** The JSON path Jackson was at: {@code sources[0].url}. */
    static String path(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m)) {
            return "";
        }
        List<JsonMappingException.Reference> refs = m.getPath();
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference ref : refs) {
            if (ref.getFieldName() != null) {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                out.append('[').append(ref.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "invalid";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
