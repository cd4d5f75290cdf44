package dev.ondemandd.protocol.fanotify;

import java.util.Optional;

/**
 * One event read from a fanotify group.
 *
 * <pre>
 * struct fanotify_event_metadata {
 *         __u32 event_len;      // metadata + info records
 *         __u8  vers;           // FANOTIFY_METADATA_VERSION (3)
 *         __u8  reserved;
 *         __u16 metadata_len;   // FAN_EVENT_METADATA_LEN (24)
 *         __aligned_u64 mask;
 *         __s32 fd;             // FAN_NOFD (-1) when none
 *         __s32 pid;
 * };   // followed by info records, each starting with struct fanotify_event_info_header
 * </pre>
 *
 * @param mask the event bits (FAN_PRE_ACCESS, FAN_Q_OVERFLOW, …)
 * @param fd the event's file descriptor, owned by the receiver: a permission event must be answered with it,
 *     then it must be closed; {@link Fanotify#FAN_NOFD} when the event has none
 * @param pid the process that caused the event
 * @param range the accessed range (pre-content events), when the event carried one
 */
public record FanotifyEvent(long mask, int fd, int pid, Optional<FanotifyRange> range) {

    /** Whether the event carries a file descriptor the receiver must answer and close. */
    public boolean hasFd() {
        return fd >= 0;
    }

    /** Whether this is a pre-content access event, which the kernel blocks on until it is answered. */
    public boolean isPreAccess() {
        return (mask & Fanotify.FAN_PRE_ACCESS) != 0;
    }
}
