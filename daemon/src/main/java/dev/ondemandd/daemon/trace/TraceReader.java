package dev.ondemandd.daemon.trace;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a trace strictly: every line one JSON object with exactly the keys its {@code op} allows, integers
 * where integers belong, no read or close of an object that is not open, no read past an object's size, a
 * {@code sha256} of 64 lower-case hex digits. The first violation is a {@link TraceFormatException} naming
 * its line.
 */
public final class TraceReader {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Map<String, Set<String>> KEYS = Map.of(
            "header", Set.of("op", "format", "kernel", "layout"),
            "open", Set.of("t_ns", "op", "object", "volume", "cookie", "size"),
            "read", Set.of("t_ns", "op", "object", "off", "len", "sha256"),
            "close", Set.of("t_ns", "op", "object"));

    private TraceReader() {
    }

    public static Trace read(Path file) throws IOException, TraceFormatException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in);
        }
    }

    public static Trace read(Reader reader) throws IOException, TraceFormatException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<TraceEvent> events = new ArrayList<>();
        Optional<TraceEvent.Header> header = Optional.empty();
        Map<Long, Long> openSizes = new HashMap<>();
        long lineNumber = 0;
        String line;
        while ((line = in.readLine()) != null) {
            lineNumber++;
            TraceEvent event = parseLine(line, lineNumber);
            switch (event) {
                case TraceEvent.Header h -> {
                    if (lineNumber != 1) {
                        throw new TraceFormatException(lineNumber, "a header may only be the first line");
                    }
                    if (h.format() != TraceFormat.VERSION) {
                        throw new TraceFormatException(lineNumber, "trace format " + h.format()
                                + " is not supported (this ondemandd reads format " + TraceFormat.VERSION + ")");
                    }
                    header = Optional.of(h);
                    continue;
                }
                case TraceEvent.Open o -> {
                    if (openSizes.putIfAbsent(o.object(), o.size()) != null) {
                        throw new TraceFormatException(lineNumber, "object " + o.object()
                                + " is opened again before its close (object ids are new on every open)");
                    }
                }
                case TraceEvent.Read r -> {
                    Long size = openSizes.get(r.object());
                    if (size == null) {
                        throw new TraceFormatException(lineNumber, "read of object " + r.object() + ", which is not open");
                    }
                    if (r.off() > size || r.len() > size - r.off()) {
                        throw new TraceFormatException(lineNumber, "read " + r.off() + "+" + r.len()
                                + " goes past the end of object " + r.object() + " (size " + size + ")");
                    }
                }
                case TraceEvent.Close c -> {
                    if (openSizes.remove(c.object()) == null) {
                        throw new TraceFormatException(lineNumber, "close of object " + c.object()
                                + ", which is not open");
                    }
                }
            }
            events.add(event);
        }
        return new Trace(header, events);
    }

    /** Parses one line on its own (no cross-line checks). */
    public static TraceEvent parseLine(String line, long lineNumber) throws TraceFormatException {
        if (line.length() > TraceFormat.MAX_LINE_CHARS) {
            throw new TraceFormatException(lineNumber, "longer than " + TraceFormat.MAX_LINE_CHARS + " characters");
        }
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new TraceFormatException(lineNumber, "not valid JSON: " + firstLine(e.getOriginalMessage()));
        }
        if (node == null || !node.isObject()) {
            throw new TraceFormatException(lineNumber, "expected a JSON object");
        }
        Fields f = new Fields(node, lineNumber);
        String op = f.text("op");
        Set<String> allowed = KEYS.get(op);
        if (allowed == null) {
            throw new TraceFormatException(lineNumber, "unknown op '" + op + "' (expected open, read or close)");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                throw new TraceFormatException(lineNumber, "unknown key '" + name + "' in a " + op + " line");
            }
        }
        return switch (op) {
            case "header" -> new TraceEvent.Header((int) Math.min(Integer.MAX_VALUE, f.count("format")),
                    f.text("kernel"), f.text("layout"));
            case "open" -> new TraceEvent.Open(f.count("t_ns"), f.count("object"), f.text("volume"),
                    f.text("cookie"), f.count("size"));
            case "read" -> new TraceEvent.Read(f.count("t_ns"), f.count("object"), f.count("off"), f.count("len"),
                    f.sha256());
            default -> new TraceEvent.Close(f.count("t_ns"), f.count("object"));
        };
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    /** Typed, required access to a line's keys. */
    private record Fields(JsonNode node, long line) {

        JsonNode require(String key) throws TraceFormatException {
            JsonNode value = node.get(key);
            if (value == null || value.isNull()) {
                throw new TraceFormatException(line, "missing key '" + key + "'");
            }
            return value;
        }

        String text(String key) throws TraceFormatException {
            JsonNode value = require(key);
            if (!value.isTextual()) {
                throw new TraceFormatException(line, "'" + key + "' must be a string, not " + value);
            }
            return value.textValue();
        }

        long count(String key) throws TraceFormatException {
            JsonNode value = require(key);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw new TraceFormatException(line, "'" + key + "' must be a non-negative integer, not " + value);
            }
            return value.longValue();
        }

        String sha256() throws TraceFormatException {
            if (!node.has("sha256")) {
                return null;
            }
            String digest = text("sha256");
            if (!SHA256.matcher(digest).matches()) {
                throw new TraceFormatException(line, "'sha256' must be 64 lower-case hex digits, not '" + digest + "'");
            }
            return digest;
        }
    }
}
