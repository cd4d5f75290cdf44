package dev.ondemandd.protocol.nativeio;

import java.io.IOException;

/**
 * A system call failed with {@code errno}. The message names the call, what it was applied to, the C library's
 * text and the symbolic errno, e.g. {@code open(/dev/cachefiles): Device or resource busy (EBUSY)}.
 */
public class ErrnoException extends IOException {

    private final int errno;

    /** {@code operation(subject): strerror (ENAME)}; {@code subject} may be null. */
    public ErrnoException(String operation, String subject, int errno) {
        this(errno, operation + (subject != null ? "(" + subject + ")" : "") + ": " + Errno.describe(errno) + " ("
                + Errno.name(errno) + ")");
    }

    /** A message written for the operator, who needs to know what to do; the errno is appended. */
    public ErrnoException(int errno, String message) {
        super(message);
        this.errno = errno;
    }

    /** The errno, positive. */
    public int errno() {
        return errno;
    }
}
