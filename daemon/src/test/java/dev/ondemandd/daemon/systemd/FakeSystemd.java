package dev.ondemandd.daemon.systemd;

import java.io.FileDescriptor;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.newsclub.net.unix.AFUNIXDatagramSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A real AF_UNIX datagram socket standing where systemd's notify socket would: receives what we send. */
public final class FakeSystemd implements AutoCloseable {

    /** One datagram: its text and the fds that came with it (SCM_RIGHTS), owned by the receiver. */
    public record Notification(String text, FileDescriptor[] fds) {
    }

    private final AFUNIXDatagramSocket socket;
    private final String notifySocket;
    private final Path dir;

    private FakeSystemd(AFUNIXDatagramSocket socket, String notifySocket, Path dir) {
        this.socket = socket;
        this.notifySocket = notifySocket;
        this.dir = dir;
    }

    /** Bound to a file in a fresh temp directory. */
    public static FakeSystemd onPath() throws IOException {
        Path dir = Files.createTempDirectory("fake-systemd");
        Path path = dir.resolve("notify");
        AFUNIXDatagramSocket socket = AFUNIXDatagramSocket.newInstance();
        socket.bind(AFUNIXSocketAddress.of(path));
        return configure(socket, path.toString(), dir);
    }

    /** Bound in the abstract namespace, as systemd's own notify socket is. */
    static FakeSystemd abstractNamespace() throws IOException {
        String name = "ondemandd-test-" + UUID.randomUUID();
        AFUNIXDatagramSocket socket = AFUNIXDatagramSocket.newInstance();
        socket.bind(AFUNIXSocketAddress.inAbstractNamespace(name));
        return configure(socket, "@" + name, null);
    }

    private static FakeSystemd configure(AFUNIXDatagramSocket socket, String name, Path dir) throws IOException {
        socket.setSoTimeout(5_000);
        socket.ensureAncillaryReceiveBufferSize(1024);
        return new FakeSystemd(socket, name, dir);
    }

    /** $NOTIFY_SOCKET as systemd would set it. */
    public String notifySocket() {
        return notifySocket;
    }

    Map<String, String> environment() {
        return Map.of(SystemdNotifier.NOTIFY_SOCKET, notifySocket);
    }

    public Notification receive() throws IOException {
        byte[] buf = new byte[4096];
        DatagramPacket packet = new DatagramPacket(buf, buf.length);
        socket.receive(packet);
        FileDescriptor[] fds = socket.getReceivedFileDescriptors();
        socket.clearReceivedFileDescriptors();
        return new Notification(new String(buf, 0, packet.getLength(), StandardCharsets.UTF_8),
                fds == null ? new FileDescriptor[0] : fds);
    }

    /** True when no datagram arrives within {@code millis}. */
    public boolean silentFor(int millis) throws IOException {
        int before = socket.getSoTimeout();
        socket.setSoTimeout(millis);
        try {
            receive();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } finally {
            socket.setSoTimeout(before);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("notify"));
            Files.deleteIfExists(dir);
        }
    }
}
