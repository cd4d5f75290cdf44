package dev.ondemandd.protocol.cachefiles;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An anonymous fd that an OPEN handed to the daemon: data is written through it (direct I/O: page-aligned
 * offsets, page-aligned buffers) and READs on its object are completed through it.
 */
public interface ObjectFd extends AutoCloseable {

    /** The fd number, for logs and traces. */
    int fd();

    /**
     * pwrite()s all of {@code src} (a direct, page-aligned buffer) at {@code offset} (a multiple of the page
     * size). The kernel rounds the length up to a page; the cache file never grows past the object size.
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /** ioctl(CACHEFILES_IOC_READ_COMPLETE, msgId): the kernel re-checks the range; a hole left fails the reader with EIO. */
    void readComplete(int msgId) throws IOException;

    /** Closes the fd; idempotent. */
    @Override
    void close() throws IOException;
}
