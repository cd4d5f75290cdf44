package dev.ondemandd.daemon.frontend.cachefiles;

import dev.ondemandd.daemon.cache.CacheSpace;
import dev.ondemandd.daemon.core.CacheTarget;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An OPEN's anonymous fd as the core's {@link CacheTarget}. READ_COMPLETE and close are serialized, so a
 * completion can never reach an fd number that was closed and handed to someone else meanwhile.
 */
final class CachefilesTarget implements CacheTarget {

    private static final int PAGE = CoreSettings.PAGE_SIZE;
    private static final byte[] ZEROS = new byte[PAGE];

    private final ObjectFd fd;
    private final int objectId;
    private final CacheSpace space;
    private final Runnable onClose;
    private boolean closed;

    /**
     * @param space the cache directory's space, told of every write
     * @param onClose run once, after the fd is closed
     */
    CachefilesTarget(ObjectFd fd, int objectId, CacheSpace space, Runnable onClose) {
        this.fd = fd;
        this.objectId = objectId;
        this.space = space;
        this.onClose = onClose;
    }

    /** The kernel's id, as every log line about the object shows it (with the core's #id, see LogIds). */
    @Override
    public String label() {
        return "object_id " + Integer.toUnsignedString(objectId);
    }

    /**
     * Writes whole pages: the kernel writes the cache file with direct I/O, which refuses a length that is not
     * a multiple of the backing device's block, so the object's last page is padded with zeros (the core's
     * buffers are whole pages, so there is room).
     */
    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        int end = src.limit();
        int padded = (int) Math.min(src.capacity(), ((long) end + PAGE - 1) / PAGE * PAGE);
        if (padded != end) {
            src.limit(padded).put(end, ZEROS, 0, padded - end);
        }
        // The core holds a reference across every write, so the fd is open here.
        try {
            fd.write(src, offset);
        } catch (ErrnoException e) {
            throw space.refused(e, "anon fd " + fd.fd());
        }
        space.wrote();
    }

    /** ioctl(READ_COMPLETE, msgId); false when the fd was already closed (the kernel cancelled the request). */
    synchronized boolean complete(int msgId) throws IOException {
        if (closed) {
            return false;
        }
        fd.readComplete(msgId);
        return true;
    }

    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            try {
                fd.close();
            } finally {
                onClose.run();
            }
        }
    }

    int fd() {
        return fd.fd();
    }
}
