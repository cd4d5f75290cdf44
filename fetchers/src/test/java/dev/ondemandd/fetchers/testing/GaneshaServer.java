package dev.ondemandd.fetchers.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's nfs-ganesha (VFS FSAL) run in the foreground as root, NFSv4 only on a free 127.0.0.1 port (no
 * rpcbind), exporting one directory as {@code /export}. Skips the test when not root.
 */
public final class GaneshaServer implements AutoCloseable {

    public static final String BINARY = "/usr/bin/ganesha.nfsd";
    public static final String PSEUDO = "/export";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final int port;
    private final Path log;

    private GaneshaServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Exports {@code dir} read-only at {@link #PSEUDO}; {@code work} holds config, log and recovery state. */
    public static GaneshaServer start(Path dir, Path work) throws IOException, InterruptedException {
        assumeTrue(Packages.isRoot(), "nfs-ganesha's VFS FSAL needs root (open_by_handle_at); run the tests as root");
        Packages.require(BINARY, "nfs-ganesha", "nfs-ganesha-vfs");
        Packages.require("/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so", "nfs-ganesha-vfs");
        Packages.require("/usr/lib/x86_64-linux-gnu/libnfs.so.13", "libnfs13");
        int port = Packages.freePort();
        Path recovery = Files.createDirectories(work.resolve("recovery-" + port));
        Path config = work.resolve("ganesha-" + port + ".conf");
        Files.writeString(config, """
                NFS_CORE_PARAM {
                    Protocols = 4;
                    NFS_Port = %d;
                    Bind_Addr = 127.0.0.1;
                    Enable_NLM = false;
                    Enable_RQUOTA = false;
                }
                NFSV4 {
                    Graceless = true;
                    RecoveryRoot = %s;
                }
                EXPORT {
                    Export_Id = 1;
                    Path = %s;
                    Pseudo = %s;
                    Access_Type = RO;
                    Squash = No_Root_Squash;
                    Attr_Expiration_Time = 0;
                    Protocols = 4;
                    Transports = TCP;
                    SecType = sys;
                    FSAL { Name = VFS; }
                }
                """.formatted(port, recovery, dir.toAbsolutePath(), PSEUDO));
        Path log = work.resolve("ganesha-" + port + ".log");
        Process p = new ProcessBuilder(BINARY, "-F", "-f", config.toString(), "-L", log.toString(), "-p",
                work.resolve("ganesha-" + port + ".pid").toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("ganesha-" + port + ".out").toFile()).start();
        GaneshaServer g = new GaneshaServer(p, port, log);
        Children.killOnExit(p);
        g.awaitReady();
        return g;
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("ganesha.nfsd exited: " + (Files.exists(log) ? Files.readString(log) : "no log"));
            }
            if (Files.exists(log) && Files.readString(log).contains("NFS SERVER INITIALIZED")) {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return;
                } catch (IOException e) {
                    // not accepting yet
                }
            }
            Thread.sleep(25);
        }
        close();
        throw new IOException("ganesha.nfsd not ready within " + START_TIMEOUT);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
