package dev.ondemandd.fetchers;

import java.io.IOException;

/**
 * A fetch that failed, carrying the errno the kernel should see (positive, e.g. 2 for ENOENT) and whether a
 * retry could help.
 */
public class FetchException extends IOException {
    private static final long serialVersionUID = 1L;

    public static final int ENOENT = 2;
    public static final int EIO = 5;
    public static final int EACCES = 13;
    public static final int EINVAL = 22;
    public static final int ESTALE = 116;

    private final int errno;
    private final boolean retryable;

    public FetchException(String message, int errno, boolean retryable) {
        this(message, errno, retryable, null);
    }

    public FetchException(String message, int errno, boolean retryable, Throwable cause) {
        super(message, cause);
        if (errno <= 0 || errno > 4095) {
            throw new IllegalArgumentException("errno out of range: " + errno);
        }
        this.errno = errno;
        this.retryable = retryable;
    }

    /** The positive errno to report to the kernel. */
    public int errno() {
        return errno;
    }

    /** Whether trying again (after a backoff) may succeed. */
    public boolean retryable() {
        return retryable;
    }
}
