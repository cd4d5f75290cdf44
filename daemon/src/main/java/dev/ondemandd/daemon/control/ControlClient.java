package dev.ondemandd.daemon.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A connection to a running daemon's control socket, for the CLI. */
public final class ControlClient implements AutoCloseable {

    /** How long a reply may take; a drain waits for in-flight reads, each bounded by its deadline. */
    public static final int REPLY_TIMEOUT_MILLIS = 120_000;

    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;

    private ControlClient(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /**
     * Connects to {@code path}.
     *
     * @throws IOException with what to check: is the daemon running, is this the right socket, may we use it
     */
    public static ControlClient connect(Path path) throws IOException {
        try {
            AFUNIXSocket socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(path));
            socket.setSoTimeout(REPLY_TIMEOUT_MILLIS);
            return new ControlClient(socket);
        } catch (SocketException e) {
            throw new IOException("cannot connect to " + path + ": " + e.getMessage()
                    + " (is ondemandd running? is it the configured control.socket? are you root or allowed?)", e);
        }
    }

    /**
     * Sends {@code request} and returns its result.
     *
     * @throws ControlException when the daemon answered with an error
     * @throws IOException      when the connection failed or the reply was not the protocol's
     */
    public JsonNode call(ObjectNode request) throws IOException, ControlException {
        IOException writeFailure = null;
        try {
            out.write((request.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            writeFailure = e; // a refusing daemon closes at once: its reason may still be there to read
        }
        String line;
        try {
            line = ControlProtocol.readLine(in, ControlProtocol.MAX_REPLY_BYTES);
        } catch (IOException e) {
            if (writeFailure != null) {
                e.addSuppressed(writeFailure);
            }
            throw e;
        }
        if (line == null) {
            throw new IOException("the daemon closed the connection without a reply");
        }
        JsonNode reply = ControlProtocol.JSON.readTree(line);
        if (reply.path("ok").asBoolean(false)) {
            return reply.path("result");
        }
        if (reply.hasNonNull("error")) {
            throw new ControlException(reply.get("error").asText());
        }
        throw new IOException("not a control reply: " + line);
    }

    /** Sends the command {@code cmd} without arguments. */
    public JsonNode call(String cmd) throws IOException, ControlException {
        return call(ControlProtocol.request(cmd));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
