package dev.ondemandd.protocol.fanotify;

/**
 * The byte range a pre-content event is about: {@code [offset, offset + count)} of the event's file.
 *
 * <pre>
 * struct fanotify_event_info_range {
 *         struct fanotify_event_info_header hdr;   // info_type 6, pad, len 24
 *         __u32 pad;
 *         __u64 offset;
 *         __u64 count;
 * };
 * </pre>
 *
 * @param offset first byte, never negative
 * @param count number of bytes, never negative; {@code offset + count} does not overflow
 */
public record FanotifyRange(long offset, long count) {
    public FanotifyRange {
        if (offset < 0 || count < 0 || offset > Long.MAX_VALUE - count) {
            throw new IllegalArgumentException("bad range: offset " + offset + " count " + count);
        }
    }

    /** The first byte after the range. */
    public long end() {
        return offset + count;
    }
}
