package dev.ondemandd.protocol.fanotify;

/**
 * Constants of the fanotify pre-content interface, as include/uapi/linux/fanotify.h (Linux 6.14+) defines them.
 *
 * <p>Tests pin each value against the header; the bookworm userspace header predates pre-content events, so
 * they are spelled out here rather than taken from a system header.
 */
public final class Fanotify {
    private Fanotify() {
    }

    /** fanotify_init flags. */
    public static final int FAN_CLOEXEC = 0x00000001;
    public static final int FAN_NONBLOCK = 0x00000002;
    public static final int FAN_CLASS_PRE_CONTENT = 0x00000008;

    /** fanotify_mark flags. */
    public static final int FAN_MARK_ADD = 0x00000001;
    public static final int FAN_MARK_REMOVE = 0x00000002;

    /** Event mask bits. */
    public static final long FAN_Q_OVERFLOW = 0x0000004000L;
    public static final long FAN_PRE_ACCESS = 0x0000100000L;

    /** FANOTIFY_METADATA_VERSION: the only layout this decoder understands. */
    public static final int METADATA_VERSION = 3;
    /** FAN_EVENT_METADATA_LEN: sizeof(struct fanotify_event_metadata). */
    public static final int EVENT_METADATA_LEN = 24;
    /** sizeof(struct fanotify_event_info_header). */
    public static final int INFO_HEADER_LEN = 4;
    /** FAN_EVENT_INFO_TYPE_RANGE. */
    public static final int INFO_TYPE_RANGE = 6;
    /** sizeof(struct fanotify_event_info_range). */
    public static final int INFO_RANGE_LEN = 24;
    /** sizeof(struct fanotify_response). */
    public static final int RESPONSE_LEN = 8;

    /** FAN_NOFD: the event carries no file descriptor (queue overflow). */
    public static final int FAN_NOFD = -1;

    /** Responses to a permission event. */
    public static final int FAN_ALLOW = 0x01;
    public static final int FAN_DENY = 0x02;
    /** FAN_ERRNO_SHIFT: the errno of FAN_DENY_ERRNO sits in the top FAN_ERRNO_BITS bits. */
    public static final int FAN_ERRNO_SHIFT = 24;
    public static final int FAN_ERRNO_MASK = 0xff;

    /** FAN_DENY_ERRNO(err): deny, failing the reader with {@code errno} (1..255) instead of EPERM. */
    public static int denyErrno(int errno) {
        if (errno <= 0 || errno > FAN_ERRNO_MASK) {
            throw new IllegalArgumentException("errno must be 1.." + FAN_ERRNO_MASK + ": " + errno);
        }
        return FAN_DENY | (errno << FAN_ERRNO_SHIFT);
    }
}
