package dev.ondemandd.daemon.metrics;

/**
 * Label values for errnos: the symbolic name for those the daemon answers with, {@code errno_N} for other
 * plausible numbers, {@code invalid} beyond — so an errno taken from a remote error can never blow up the
 * number of time series.
 */
final class ErrnoLabel {

    /** Linux errnos stay below this (MAX_ERRNO is 4095). */
    static final int MAX_ERRNO = 4095;

    private static final String[] NAMES = new String[134];

    static {
        name(1, "EPERM");
        name(2, "ENOENT");
        name(4, "EINTR");
        name(5, "EIO");
        name(6, "ENXIO");
        name(9, "EBADF");
        name(11, "EAGAIN");
        name(12, "ENOMEM");
        name(13, "EACCES");
        name(16, "EBUSY");
        name(22, "EINVAL");
        name(27, "EFBIG");
        name(28, "ENOSPC");
        name(30, "EROFS");
        name(61, "ENODATA");
        name(75, "EOVERFLOW");
        name(95, "EOPNOTSUPP");
        name(104, "ECONNRESET");
        name(110, "ETIMEDOUT");
        name(111, "ECONNREFUSED");
        name(113, "EHOSTUNREACH");
        name(116, "ESTALE");
        name(125, "ECANCELED");
    }

    private ErrnoLabel() {
    }

    private static void name(int errno, String name) {
        NAMES[errno] = name;
    }

    static String of(int errno) {
        long e = Math.abs((long) errno); // copen answers carry -errno; count them alike
        if (e < NAMES.length && NAMES[(int) e] != null) {
            return NAMES[(int) e];
        }
        return e > 0 && e <= MAX_ERRNO ? "errno_" + e : "invalid";
    }
}
