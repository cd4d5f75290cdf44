package dev.ondemandd.protocol.fanotify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Decodes the buffer one read() from a fanotify group filled: several events, each a
 * struct fanotify_event_metadata followed by info records (see {@link FanotifyEvent}).
 *
 * <p>Every length is checked against what is there before it is used. Unknown info records are skipped by
 * their length; a malformed event is handed to the sink as a {@link MalformedEventException} that still
 * carries the event's fd. Stateless and thread-safe.
 */
public final class FanotifyEventDecoder {

    /** Offsets inside struct fanotify_event_metadata. */
    private static final int OFF_VERS = 4;
    private static final int OFF_METADATA_LEN = 6;
    private static final int OFF_MASK = 8;
    private static final int OFF_FD = 16;
    private static final int OFF_PID = 20;
    /** Offsets inside struct fanotify_event_info_range. */
    private static final int OFF_RANGE_OFFSET = 8;
    private static final int OFF_RANGE_COUNT = 16;

    /** Receives each decoded event, in buffer order. */
    public interface Sink {
        void event(FanotifyEvent event);

        void malformed(MalformedEventException error);
    }

    private FanotifyEventDecoder() {
    }

    /**
     * Decodes the events in {@code buf} from position to limit (native byte order, as the kernel wrote them).
     * The buffer's position and byte order are left as they were.
     *
     * @return the number of events handed to the sink, malformed ones included
     */
    public static int decode(ByteBuffer buf, Sink sink) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.nativeOrder());
        int pos = b.position();
        int limit = b.limit();
        int count = 0;
        while (pos < limit) {
            int remaining = limit - pos;
            count++;
            if (remaining < Fanotify.EVENT_METADATA_LEN) {
                int fd = remaining >= OFF_PID ? b.getInt(pos + OFF_FD) : Fanotify.FAN_NOFD;
                sink.malformed(new MalformedEventException(
                        "truncated event: " + remaining + " bytes left, metadata needs " + Fanotify.EVENT_METADATA_LEN,
                        fd, false));
                return count;
            }
            int fd = b.getInt(pos + OFF_FD);
            long eventLen = Integer.toUnsignedLong(b.getInt(pos));
            if (eventLen < Fanotify.EVENT_METADATA_LEN || eventLen > remaining) {
                sink.malformed(new MalformedEventException(
                        "event_len " + eventLen + " outside [" + Fanotify.EVENT_METADATA_LEN + ", " + remaining + "]",
                        fd, false));
                return count;
            }
            int len = (int) eventLen;
            try {
                sink.event(decodeOne(b, pos, len, fd));
            } catch (MalformedEventException e) {
                sink.malformed(e);
            }
            pos += len;
        }
        return count;
    }

    private static FanotifyEvent decodeOne(ByteBuffer b, int pos, int eventLen, int fd)
            throws MalformedEventException {
        int vers = Byte.toUnsignedInt(b.get(pos + OFF_VERS));
        if (vers != Fanotify.METADATA_VERSION) {
            throw new MalformedEventException(
                    "metadata version " + vers + ", expected " + Fanotify.METADATA_VERSION, fd, true);
        }
        int metadataLen = Short.toUnsignedInt(b.getShort(pos + OFF_METADATA_LEN));
        if (metadataLen < Fanotify.EVENT_METADATA_LEN || metadataLen > eventLen) {
            throw new MalformedEventException(
                    "metadata_len " + metadataLen + " outside [" + Fanotify.EVENT_METADATA_LEN + ", " + eventLen + "]",
                    fd, true);
        }
        long mask = b.getLong(pos + OFF_MASK);
        int pid = b.getInt(pos + OFF_PID);
        FanotifyRange range = null;
        int info = pos + metadataLen;
        int end = pos + eventLen;
        while (info < end) {
            if (end - info < Fanotify.INFO_HEADER_LEN) {
                throw new MalformedEventException(
                        "truncated info header: " + (end - info) + " bytes left in the event", fd, true);
            }
            int type = Byte.toUnsignedInt(b.get(info));
            int infoLen = Short.toUnsignedInt(b.getShort(info + 2));
            if (infoLen < Fanotify.INFO_HEADER_LEN || infoLen > end - info) {
                throw new MalformedEventException("info record type " + type + " len " + infoLen + " outside ["
                        + Fanotify.INFO_HEADER_LEN + ", " + (end - info) + "]", fd, true);
            }
            if (type == Fanotify.INFO_TYPE_RANGE) {
                if (infoLen != Fanotify.INFO_RANGE_LEN) {
                    throw new MalformedEventException(
                            "range info len " + infoLen + ", expected " + Fanotify.INFO_RANGE_LEN, fd, true);
                }
                if (range != null) {
                    throw new MalformedEventException("two range info records in one event", fd, true);
                }
                long offset = b.getLong(info + OFF_RANGE_OFFSET);
                long count = b.getLong(info + OFF_RANGE_COUNT);
                if (offset < 0 || count < 0 || offset > Long.MAX_VALUE - count) {
                    throw new MalformedEventException("range offset " + Long.toUnsignedString(offset) + " count "
                            + Long.toUnsignedString(count) + " beyond 2^63", fd, true);
                }
                range = new FanotifyRange(offset, count);
            }
            info += infoLen;
        }
        return new FanotifyEvent(mask, fd, pid, Optional.ofNullable(range));
    }
}
