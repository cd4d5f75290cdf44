package dev.ondemandd.daemon.core;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where the core writes an object's bytes: the anonymous fd of a cachefiles OPEN, or the sparse blob file
 * of a fanotify image. A frontend hands one to {@link Core#open} per opened object; from then on the core
 * owns it and closes it exactly once, after the last write through it has returned.
 */
public interface CacheTarget {

    /**
     * Writes {@code src} from its position to its limit at {@code offset}. The core guarantees: {@code src}
     * is a direct buffer whose position-0 address is page aligned and whose capacity is a multiple of the page
     * size (so a frontend may widen the limit to a page boundary, zero-filling, when its kernel wants whole
     * pages); {@code offset} is a multiple of the page size; the range lies within the object's size.
     * Called from fetch threads, possibly concurrently for disjoint ranges.
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /**
     * The frontend's own id for this object in log lines ({@code object_id 7} for cachefiles), empty when it has
     * none; see {@link LogIds}.
     */
    default String label() {
        return "";
    }

    /** Releases the target; called once, when the object's last reference is released. */
    void close() throws IOException;
}
