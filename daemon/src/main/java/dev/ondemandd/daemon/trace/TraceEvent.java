package dev.ondemandd.daemon.trace;

/**
 * One line of a request trace (JSON Lines). {@code object} is the id the OPEN got — new on every OPEN, as
 * the kernel's object ids are; {@code tNs} is nanoseconds since the trace began.
 */
public sealed interface TraceEvent permits TraceEvent.Header, TraceEvent.Open, TraceEvent.Read, TraceEvent.Close {

    long tNs();

    /**
     * The optional first line: which trace format, which kernel it was recorded on and the request header
     * layout that kernel used, so a golden trace says what it is a recording of.
     */
    record Header(int format, String kernel, String layout) implements TraceEvent {
        @Override
        public long tNs() {
            return 0;
        }
    }

    /** An OPEN of {@code volume}/{@code cookie}, answered with {@code size}. */
    record Open(long tNs, long object, String volume, String cookie, long size) implements TraceEvent {
    }

    /**
     * A READ of {@code [off, off + len)}; {@code sha256} (lower-case hex, or null) is the digest of those bytes
     * of the object.
     */
    record Read(long tNs, long object, long off, long len, String sha256) implements TraceEvent {
    }

    /** A CLOSE. */
    record Close(long tNs, long object) implements TraceEvent {
    }
}
