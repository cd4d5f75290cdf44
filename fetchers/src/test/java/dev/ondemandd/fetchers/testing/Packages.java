package dev.ondemandd.fetchers.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure a Debian package's program is there for a real-server test: installs it with apt-get when
 * missing and we are root (CI is), else skips the test saying what to install.
 */
public final class Packages {

    private static final long INSTALL_MINUTES = 10;

    private Packages() {
    }

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Ensures {@code file} exists, installing {@code packages} when it does not. */
    public static synchronized void require(String file, String... packages) {
        if (Files.exists(Path.of(file))) {
            return;
        }
        assumeTrue(isRoot(), () -> file + " is missing and only root can install it: apt-get install "
                + String.join(" ", packages));
        List<String> cmd = new ArrayList<>(List.of("apt-get", "install", "-y", "--no-install-recommends"));
        cmd.addAll(List.of(packages));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(INSTALL_MINUTES, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroy();
                throw new IllegalStateException("apt-get install " + String.join(" ", packages) + " failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run apt-get", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted installing " + packages[0], e);
        }
        if (!Files.exists(Path.of(file))) {
            throw new IllegalStateException(file + " still missing after apt-get install " + String.join(" ", packages));
        }
    }

    /** A free TCP port on 127.0.0.1 (free now; the server binds it right after). */
    public static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
