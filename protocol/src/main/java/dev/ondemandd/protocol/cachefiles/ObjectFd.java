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
     * pwrite()s all of {@code src} (a direct, page-aligned buffer) at {@code offset}.
     *
     * <p>The kernel writes the cache file with direct I/O: an offset that is not a page multiple fails with
     * ENOBUFS (__cachefiles_prepare_write); on ext4/xfs a length or buffer address that is not a multiple of the
     * backing device's logical block size fails with EINVAL (iomap_dio_bio_iter). So write whole pages, padding
     * the object's last page with zeros; nothing checks the object size, so do not write past that last page.
     */
    void write(ByteBuffer src, long offset) throws IOException;

    /** ioctl(CACHEFILES_IOC_READ_COMPLETE, msgId): the kernel re-checks the range; a hole left fails the reader with EIO. */
    void readComplete(int msgId) throws IOException;

    /** Closes the fd; idempotent. */
    @Override
    void close() throws IOException;
}
