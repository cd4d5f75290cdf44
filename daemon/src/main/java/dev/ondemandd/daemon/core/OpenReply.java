package dev.ondemandd.daemon.core;

/**
 * The answer to one OPEN, given exactly once by the core from a fetch thread or the deadline timer.
 */
public interface OpenReply {

    /** The object is open; {@link ObjectHandle#size()} is the size to report to the kernel. */
    void opened(ObjectHandle handle);

    /**
     * The object could not be opened (no source matches, the source failed, the deadline passed, shutdown);
     * the kernel should be told {@code -errno}. The core closes the target right after this returns.
     */
    void failed(int errno);
}
