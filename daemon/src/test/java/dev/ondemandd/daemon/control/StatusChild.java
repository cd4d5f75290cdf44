package dev.ondemandd.daemon.control;

import picocli.CommandLine;

/** Runs {@code ondemandd status} in a child process (as another uid) for {@link PeerCredentialsTest}. */
public final class StatusChild {
    private StatusChild() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new StatusCommand()).execute(args));
    }
}
