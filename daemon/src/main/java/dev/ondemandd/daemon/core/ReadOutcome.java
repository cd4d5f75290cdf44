package dev.ondemandd.daemon.core;

/** How a READ ended, for listeners. */
public enum ReadOutcome {
    /** The range was written and the READ answered filled. */
    FILLED,
    /** A fetch or a write failed; the READ was answered failed. */
    FAILED,
    /** The deadline passed first; the READ was answered failed(EIO) and any late result discarded. */
    TIMED_OUT,
    /** Refused without fetching: the object was closed, the core shutting down, or the range invalid. */
    REJECTED
}
