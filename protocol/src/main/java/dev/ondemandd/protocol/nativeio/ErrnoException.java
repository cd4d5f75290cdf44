package dev.ondemandd.protocol.nativeio;

import java.io.IOException;

/** A system call failed with {@link #errno()}; the message names the call and its target. */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int ENXIO = 6;
    public static final int EAGAIN = 11;
    public static final int EBUSY = 16;
    public static final int ENOTDIR = 20;
    public static final int EINVAL = 22;
    public static final int ENOSYS = 38;
    public static final int EOPNOTSUPP = 95;

    private final int errno;

    public ErrnoException(String what, int errno) {
        super(what + ": " + describe(errno));
        this.errno = errno;
    }

    /** The positive errno. */
    public int errno() {
        return errno;
    }

    private static String describe(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM";
            case ENOENT -> "ENOENT";
            case EINTR -> "EINTR";
            case EIO -> "EIO";
            case ENXIO -> "ENXIO";
            case EAGAIN -> "EAGAIN";
            case EBUSY -> "EBUSY";
            case ENOTDIR -> "ENOTDIR";
            case EINVAL -> "EINVAL";
            case ENOSYS -> "ENOSYS";
            case EOPNOTSUPP -> "EOPNOTSUPP";
            default -> "errno";
        };
        return name + " (" + errno + ")";
    }
}
