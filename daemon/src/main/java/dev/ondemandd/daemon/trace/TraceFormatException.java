package dev.ondemandd.daemon.trace;

/** A trace line that is not a valid event; the message names the line number and what is wrong. */
public final class TraceFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    private final long line;

    public TraceFormatException(long line, String problem) {
        super("line " + line + ": " + problem);
        this.line = line;
    }

    /** The 1-based line number at fault. */
    public long line() {
        return line;
    }
}
