package dev.ondemandd.protocol.nativeio;

import java.io.IOException;

/**
 * A system call failed with {@link #errno()}. The message names the call and its target, then the C library's
 * text and the symbolic errno: {@code open(/dev/cachefiles): Device or resource busy (EBUSY)}.
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    // Aliases of the Errno constants, so callers can write ErrnoException.EBUSY next to the exception they catch.
    public static final int EPERM = Errno.EPERM;
    public static final int ENOENT = Errno.ENOENT;
    public static final int EINTR = Errno.EINTR;
    public static final int EIO = Errno.EIO;
    public static final int ENXIO = Errno.ENXIO;
    public static final int EAGAIN = Errno.EAGAIN;
    public static final int EBUSY = Errno.EBUSY;
    public static final int ENOTDIR = Errno.ENOTDIR;
    public static final int EINVAL = Errno.EINVAL;
    public static final int ENOSYS = Errno.ENOSYS;
    public static final int EOPNOTSUPP = Errno.EOPNOTSUPP;

    private final int errno;

    /** {@code what: strerror (ENAME)}; {@code what} names the call and its target, or says what to do. */
    public ErrnoException(String what, int errno) {
        super(what + ": " + Errno.describe(errno) + " (" + Errno.name(errno) + ")");
        this.errno = errno;
    }

    /** {@code operation(subject): strerror (ENAME)}; {@code subject} may be null. */
    public ErrnoException(String operation, String subject, int errno) {
        this(subject != null ? operation + "(" + subject + ")" : operation, errno);
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }
}
