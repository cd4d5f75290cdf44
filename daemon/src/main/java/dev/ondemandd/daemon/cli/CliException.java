package dev.ondemandd.daemon.cli;

/** Ends a command with an exit code and a one-line reason for stderr. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(int exitCode, String reason) {
        super(reason);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String reason, Throwable cause) {
        super(reason, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
