package dev.ondemandd.daemon.core;

/**
 * The answer to one READ, given exactly once by the core: {@link #filled()} when the range has been written,
 * {@link #failed(int)} when it could not be (a fetch error, the deadline, shutdown). Implementations must
 * not block for long; they run on fetch threads and on the deadline timer.
 */
public interface ReadReply {

    /** The whole requested range (clamped to the object size) has been written to the target. */
    void filled();

    /**
     * The range could not be filled; the reader should see {@code errno} (positive, e.g. 5 for EIO). For
     * cachefiles there is no error code: the frontend completes the READ and the hole left fails the reader.
     */
    void failed(int errno);
}
