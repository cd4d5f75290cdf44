package dev.ondemandd.daemon.core;

/**
 * One opened object, as its frontend sees it. The frontend maps its own ids (a cachefiles object_id, a
 * fanotify fd) to a handle, submits READs on it and calls {@link #close()} on the kernel's CLOSE.
 */
public interface ObjectHandle {

    /** The core's id for this open; new on every OPEN, never reused while the daemon runs. */
    long id();

    /** What was opened. */
    ObjectKey key();

    /** How log lines name this object: the frontend's id, the core's and the key ({@link LogIds}). */
    default String describe() {
        return LogIds.of(null, id(), key());
    }

    /** The object's size in bytes, pinned when the source was opened. */
    long size();

    /**
     * Queues a READ of {@code [offset, offset + length)}; {@code reply} is answered exactly once, within the
     * read deadline. A range past the end is clamped to the size. After {@link #close()}, or once the core is
     * shutting down, the reply is failed at once with EIO.
     */
    void read(long offset, long length, ReadReply reply);

    /**
     * The kernel's CLOSE: releases the reference the OPEN took. The target is closed once every READ in
     * flight on this object has finished.
     *
     * @throws IllegalStateException when called twice
     */
    void close();
}
