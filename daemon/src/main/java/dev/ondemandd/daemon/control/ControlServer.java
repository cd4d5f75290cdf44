package dev.ondemandd.daemon.control;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.core.NamedThreads;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * The control socket: an AF_UNIX stream socket speaking {@link ControlProtocol} (one JSON object per line),
 * for {@code ondemandd status} and the other commands registered with it.
 *
 * <p>Who may connect is checked twice: by the socket file's mode (see {@link ControlSettings}) and by the
 * peer's credentials from the kernel (SO_PEERCRED), which a client cannot forge. A refused peer gets one
 * error line and the connection is closed. A malformed or oversized request gets an error reply; nothing a
 * client sends stops the daemon from serving. Connections are served on named platform threads, at most
 * {@value #MAX_CONNECTIONS} at once, and closed after {@value #IDLE_TIMEOUT_MILLIS} ms without a request.
 */
public final class ControlServer implements AutoCloseable {

    static final int MAX_CONNECTIONS = 16;
    /**
     * Commands only root may run, whatever allowUids/allowGids say: a mount reads any file the daemon can read
     * into a filesystem the caller reads, and a reload chooses the files behind every image.
     */
    static final Set<String> ROOT_ONLY = Set.of("mount", "umount", "reload");
    static final int IDLE_TIMEOUT_MILLIS = 60_000;
    static final int DRAIN_MILLIS = 1_000;
    /** How long a refused peer has to send its request, so that the refusal reaches it (slow JVM start). */
    static final int FIRST_LINE_MILLIS = 10_000;
    static final long DRAIN_BYTES = 1 << 20;

    private static final System.Logger LOG = System.getLogger(ControlServer.class.getName());

    private final ControlSettings settings;
    private final Map<String, ControlCommand> commands;
    private final AFUNIXServerSocket server;
    private final Object socketKey;
    private final Thread acceptor;
    // platform threads: a junixsocket read blocks in native code and would pin a virtual thread's carrier,
    // starving the core's fetches, which run on virtual threads
    private final ThreadFactory connections = NamedThreads.platform("control");
    private final java.util.Set<AFUNIXSocket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private volatile boolean closed;

    private ControlServer(ControlSettings settings, Map<String, ControlCommand> commands, AFUNIXServerSocket server,
            Object socketKey) {
        this.settings = settings;
        this.commands = commands;
        this.server = server;
        this.socketKey = socketKey;
        this.acceptor = NamedThreads.platform("control-accept").newThread(this::acceptLoop);
    }

    /**
     * Binds the socket and starts serving {@code commands} (plus the built-in {@code commands}, which lists
     * them).
     *
     * @throws IOException when the socket cannot be bound, or another daemon already listens on it
     */
    public static ControlServer start(ControlSettings settings, Map<String, ControlCommand> commands)
            throws IOException {
        Map<String, ControlCommand> all = new TreeMap<>(commands);
        all.forEach((name, command) -> {
            if (name.isEmpty() || name.length() > ControlProtocol.MAX_COMMAND_LENGTH) {
                throw new IllegalArgumentException("command name must be 1.." + ControlProtocol.MAX_COMMAND_LENGTH
                        + " characters: " + name);
            }
            Objects.requireNonNull(command, name);
        });
        AFUNIXServerSocket server = bind(settings);
        Object key = Files.readAttributes(settings.socket(), java.nio.file.attribute.BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS).fileKey();
        ControlServer control = new ControlServer(settings, all, server, key);
        all.putIfAbsent("commands", request -> {
            ArrayNode names = ControlProtocol.JSON.createArrayNode();
            all.keySet().forEach(names::add);
            return names;
        });
        control.acceptor.start();
        LOG.log(System.Logger.Level.INFO, "control: listening on {0} (commands: {1})", settings.socket(),
                String.join(", ", all.keySet()));
        return control;
    }

    /**
     * Binds the socket, then sets its group and mode. Until then the umask's mode applies: connect() needs
     * write permission on the file, which neither systemd's UMask=0077 nor the usual 022 gives others, and
     * the peer-credential check stands behind it anyway.
     */
    private static AFUNIXServerSocket bind(ControlSettings settings) throws IOException {
        Path socket = settings.socket();
        Files.createDirectories(socket.getParent());
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (answers(socket)) {
                throw new IOException("control: another daemon is listening on " + socket
                        + "; stop it first (systemctl stop ondemandd) or configure another control.socket");
            }
            Files.delete(socket); // left behind by a daemon that died
        }
        AFUNIXServerSocket server = AFUNIXServerSocket.newInstance();
        try {
            server.setDeleteOnClose(false); // close() removes the file only if it is still ours
            server.bind(AFUNIXSocketAddress.of(socket), MAX_CONNECTIONS);
            if (!settings.allowGids().isEmpty()) {
                Files.setAttribute(socket, "unix:gid", (int) settings.allowGids().stream()
                        .sorted().findFirst().orElseThrow().longValue(), LinkOption.NOFOLLOW_LINKS);
            }
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString(modeFor(settings)));
            return server;
        } catch (IOException | RuntimeException e) {
            server.close();
            Files.deleteIfExists(socket);
            throw new IOException("control: cannot bind " + socket + ": " + e.getMessage(), e);
        }
    }

    static String modeFor(ControlSettings settings) {
        if (!settings.allowUids().isEmpty()) {
            return "rw-rw-rw-";
        }
        return settings.allowGids().isEmpty() ? "rw-------" : "rw-rw----";
    }

    private static boolean answers(Path socket) {
        try (AFUNIXSocket probe = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket))) {
            return probe.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    /** The socket's path. */
    public Path socket() {
        return settings.socket();
    }

    private void acceptLoop() {
        while (!closed) {
            AFUNIXSocket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "control: accept failed: {0}", e.toString());
                }
                continue;
            }
            if (!slots.tryAcquire()) {
                refuse(client, "busy: " + MAX_CONNECTIONS + " control connections are open; try again");
                continue;
            }
            open.add(client);
            connections.newThread(() -> {
                try {
                    serve(client);
                } finally {
                    open.remove(client);
                    slots.release();
                }
            }).start();
        }
    }

    private static void refuse(AFUNIXSocket client, String why) {
        try {
            write(client.getOutputStream(), ControlProtocol.error(why));
        } catch (IOException e) {
            // the client went away: nothing to tell it
        }
        closeGracefully(client);
    }

    private static void awaitFirstLine(AFUNIXSocket client) {
        try {
            client.setSoTimeout(FIRST_LINE_MILLIS);
            ControlProtocol.readLine(client.getInputStream(), ControlProtocol.MAX_REQUEST_BYTES);
        } catch (IOException e) {
            // nothing sent, or too much: the refusal goes out all the same
        }
    }

    /**
     * Closes after reading what the client still sends (bounded in bytes and time): closing an AF_UNIX socket
     * with unread input resets the peer, which would then lose the error line written just before.
     */
    private static void closeGracefully(AFUNIXSocket client) {
        try (client) {
            client.shutdownOutput();
            client.setSoTimeout(DRAIN_MILLIS);
            InputStream in = client.getInputStream();
            byte[] sink = new byte[4096];
            long left = DRAIN_BYTES;
            int n;
            while (left > 0 && (n = in.read(sink)) > 0) {
                left -= n;
            }
        } catch (IOException e) {
            // timed out or reset: closing is all that is left
        }
    }

    private void serve(AFUNIXSocket client) {
        AFUNIXSocketCredentials peer;
        try {
            peer = client.getPeerCredentials();
        } catch (IOException e) {
            refuse(client, "permission denied: cannot read peer credentials");
            return;
        }
        if (!settings.allows(peer.getUid(), peer.getGid(), peer.getGids())) {
            awaitFirstLine(client); // so that the client's request is not unread when we close
            LOG.log(System.Logger.Level.WARNING, "control: refused uid {0} gid {1} pid {2}: not root and not in"
                    + " control.allowUids/allowGids", peer.getUid(), peer.getGid(), peer.getPid());
            refuse(client, "permission denied: uid " + peer.getUid() + " may not use the control socket"
                    + " (root or control.allowUids/allowGids only)");
            return;
        }
        try (client) {
            client.setSoTimeout(IDLE_TIMEOUT_MILLIS);
            InputStream in = client.getInputStream();
            OutputStream out = client.getOutputStream();
            while (!closed) {
                String line;
                try {
                    line = ControlProtocol.readLine(in, ControlProtocol.MAX_REQUEST_BYTES);
                } catch (ControlProtocol.LineTooLongException e) {
                    refuse(client, "malformed request: " + e.getMessage()
                            + " (requests are one short JSON object per line)");
                    return; // no line boundary to resynchronise on
                }
                if (line == null) {
                    return;
                }
                write(out, answer(line, peer));
            }
        } catch (SocketTimeoutException e) {
            // idle: free the slot
        } catch (SocketException e) {
            // the client hung up mid-reply
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "control: connection ended: {0}", e.toString());
        }
    }

    private String answer(String line, AFUNIXSocketCredentials peer) {
        String name = "?";
        try {
            ObjectNode request = ControlProtocol.parseRequest(line);
            name = request.get("cmd").asText();
            ControlCommand command = commands.get(name);
            if (command == null) {
                throw new ControlException("unknown command '" + name + "'; known: "
                        + String.join(", ", commands.keySet()));
            }
            if (peer.getUid() != 0 && ROOT_ONLY.contains(name)) {
                throw new ControlException("permission denied: only root may " + name + " (control.allowUids and"
                        + " allowGids give status and drain)");
            }
            JsonNode result = command.run(request);
            if (!name.equals("status") && !name.equals("commands")) {
                LOG.log(System.Logger.Level.INFO, "control: {0} by uid {1} pid {2}: ok", name, peer.getUid(),
                        peer.getPid());
            }
            return ControlProtocol.ok(result == null ? ControlProtocol.JSON.nullNode() : result);
        } catch (ControlException e) {
            LOG.log(System.Logger.Level.INFO, "control: {0} by uid {1} pid {2}: {3}", name, peer.getUid(),
                    peer.getPid(), e.getMessage());
            return ControlProtocol.error(e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "control: " + name + " failed", e);
            return ControlProtocol.error("internal error in '" + name + "': " + e.getClass().getSimpleName()
                    + "; see the daemon's log");
        }
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "control: close: {0}", e.toString());
        }
        for (AFUNIXSocket client : open) {
            try {
                client.close(); // wakes its thread out of a blocking read
            } catch (IOException e) {
                // closing is all we wanted
            }
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Path socket = settings.socket();
            // remove only our own socket: a successor may already have bound the same path
            if (Objects.equals(Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).fileKey(), socketKey)) {
                Files.delete(socket);
            }
        } catch (IOException e) {
            // already gone
        }
    }
}
