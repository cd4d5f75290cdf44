package dev.ondemandd.protocol.cachefiles.sim;

import java.time.Duration;

/** What a reader of a cached object got from the simulated kernel. */
public sealed interface ReadResult {

    /**
     * The bytes of the range (fewer at the object's end).
     *
     * @param fromCache true when the range was already filled and no READ was sent
     */
    record Data(byte[] bytes, boolean fromCache) implements ReadResult {
    }

    /** The read failed: EIO when the daemon completed the READ but left a hole, or the cache died. */
    record Failed(int errno) implements ReadResult {
    }

    /** No READ_COMPLETE within the wait: in the kernel the reader would still be hanging, uninterruptibly. */
    record Hung(Duration waited) implements ReadResult {
    }
}
