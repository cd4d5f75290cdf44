package dev.ondemandd.protocol.nativeio;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;

/** Skips a test, saying why, where this machine cannot run fanotify pre-content events. */
public final class PreContentSupport {
    private PreContentSupport() {
    }

    /** Assumes root and a kernel with pre-content events; returns nothing, the assumption aborts otherwise. */
    public static void assumeAvailable() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (CAP_SYS_ADMIN) for fanotify");
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
    }
}
