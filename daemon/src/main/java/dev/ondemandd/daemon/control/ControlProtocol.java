package dev.ondemandd.daemon.control;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The control socket's wire format: one JSON object per line each way. A request is
 * {@code {"cmd": "status", ...arguments}}; the reply is {@code {"ok": true, "result": ...}} or
 * {@code {"ok": false, "error": "..."}}. Requests are bounded by {@link #MAX_REQUEST_BYTES}, replies by
 * {@link #MAX_REPLY_BYTES}.
 */
public final class ControlProtocol {

    /** A request line longer than this is refused and the connection closed: requests are small. */
    public static final int MAX_REQUEST_BYTES = 8192;

    /** Replies (status with many sources) may be larger, but not without bound. */
    public static final int MAX_REPLY_BYTES = 4 << 20;

    /** Command names are short words. */
    public static final int MAX_COMMAND_LENGTH = 32;

    static final ObjectMapper JSON = new ObjectMapper();

    private ControlProtocol() {
    }

    /** A line that exceeded its bound; the stream is no longer at a line start. */
    public static final class LineTooLongException extends IOException {
        private static final long serialVersionUID = 1L;

        LineTooLongException(int max) {
            super("line longer than " + max + " bytes");
        }
    }

    /**
     * Reads one line (without its '\n') of at most {@code max} bytes.
     *
     * @return the line, or null at end of stream before any byte
     * @throws LineTooLongException past {@code max} bytes without a newline
     */
    public static String readLine(InputStream in, int max) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8);
            }
            if (line.size() >= max) {
                throw new LineTooLongException(max);
            }
            line.write(b);
        }
        if (line.size() == 0) {
            return null;
        }
        throw new IOException("connection closed in the middle of a line");
    }

    /**
     * Parses a request line.
     *
     * @throws ControlException when it is not a JSON object with a short string {@code "cmd"}
     */
    public static ObjectNode parseRequest(String line) throws ControlException {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new ControlException("malformed request: not JSON (" + e.getOriginalMessage() + ")");
        }
        if (!(node instanceof ObjectNode request)) {
            throw new ControlException("malformed request: expected a JSON object like {\"cmd\":\"status\"}");
        }
        JsonNode cmd = request.get("cmd");
        if (cmd == null || !cmd.isTextual() || cmd.asText().isEmpty()
                || cmd.asText().length() > MAX_COMMAND_LENGTH) {
            throw new ControlException("malformed request: \"cmd\" must be a command name like \"status\"");
        }
        return request;
    }

    /** The reply line for a result. */
    public static String ok(JsonNode result) {
        ObjectNode reply = JSON.createObjectNode();
        reply.put("ok", true);
        reply.set("result", result);
        return reply.toString();
    }

    /** The reply line for an error. */
    public static String error(String message) {
        ObjectNode reply = JSON.createObjectNode();
        reply.put("ok", false);
        reply.put("error", message);
        return reply.toString();
    }

    /** The request line for {@code cmd} with no arguments. */
    public static ObjectNode request(String cmd) {
        ObjectNode request = JSON.createObjectNode();
        request.put("cmd", cmd);
        return request;
    }
}
