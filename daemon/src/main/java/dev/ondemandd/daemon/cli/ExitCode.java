package dev.ondemandd.daemon.cli;

/** The process exit codes, documented in the README. */
public final class ExitCode {

    /** Done as asked. */
    public static final int OK = 0;
    /** replay or demo found a failed request or a mismatch. */
    public static final int CHECK_FAILED = 1;
    /** Bad usage or bad input: command line, configuration, trace. */
    public static final int BAD_INPUT = 2;
    /** The environment refused: device missing or busy, permission denied, I/O error. */
    public static final int CANNOT_SERVE = 3;

    private ExitCode() {
    }
}
