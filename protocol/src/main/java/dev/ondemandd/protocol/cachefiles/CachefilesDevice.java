package dev.ondemandd.protocol.cachefiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The daemon's side of /dev/cachefiles: the kernel's device or the simulated kernel.
 *
 * <p>Commands are written one per write(); messages are read one per read() into a buffer of at least
 * {@link #MSG_MAX_SIZE} bytes. The core never sees this type: a frontend in the daemon module does.
 */
public interface CachefilesDevice extends AutoCloseable {

    /** CACHEFILES_MSG_MAX_SIZE: the largest message, and the smallest buffer read() accepts. */
    int MSG_MAX_SIZE = 1024;

    /** Writes one command ({@code dir …}, {@code tag …}, {@code bind ondemand}, {@code copen …}, {@code restore}). */
    void command(String command) throws IOException;

    /**
     * Reads one message into {@code dst} (position to limit, at least {@link #MSG_MAX_SIZE} bytes remaining).
     *
     * @return the number of bytes read; 0 when no request is pending (the kernel does not return EAGAIN)
     */
    int read(ByteBuffer dst) throws IOException;

    /**
     * Waits until a request is pending or the timeout passes.
     *
     * @return true when a read() would return a message
     */
    boolean awaitRequest(int timeoutMillis) throws IOException;

    /** Takes ownership of the anonymous fd an OPEN handed over. */
    ObjectFd adopt(int fd) throws IOException;

    /**
     * The fd numbers of this device's anonymous fds open in this process, whether the daemon knows their objects
     * or not (for completing a READ of an object whose OPEN it never saw: only the object's own fd can).
     */
    default List<Integer> anonymousFds() throws IOException {
        return List.of();
    }

    /** The raw device fd, for handing to a holder (systemd's fd store, the supervisor); -1 when simulated. */
    default int rawFd() {
        return -1;
    }

    /** Closes the device; the kernel unbinds the cache once every anonymous fd is closed too. */
    @Override
    void close() throws IOException;
}
