package dev.ondemandd.protocol.fanotify;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Builds read() buffers as the kernel lays them out, for tests. */
final class EventBytes {
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.nativeOrder());

    EventBytes preAccess(int fd, int pid, long offset, long count) {
        return event(fd, pid, Fanotify.FAN_PRE_ACCESS, range(offset, count));
    }

    EventBytes event(int fd, int pid, long mask, byte[]... infos) {
        int len = Fanotify.EVENT_METADATA_LEN;
        for (byte[] i : infos) {
            len += i.length;
        }
        buf.putInt(len).put((byte) Fanotify.METADATA_VERSION).put((byte) 0)
                .putShort((short) Fanotify.EVENT_METADATA_LEN).putLong(mask).putInt(fd).putInt(pid);
        for (byte[] i : infos) {
            buf.put(i);
        }
        return this;
    }

    EventBytes raw(byte[] bytes) {
        buf.put(bytes);
        return this;
    }

    static byte[] range(long offset, long count) {
        return ByteBuffer.allocate(Fanotify.INFO_RANGE_LEN).order(ByteOrder.nativeOrder())
                .put((byte) Fanotify.INFO_TYPE_RANGE).put((byte) 0).putShort((short) Fanotify.INFO_RANGE_LEN)
                .putInt(0).putLong(offset).putLong(count).array();
    }

    static byte[] info(int type, int declaredLen, int actualLen) {
        ByteBuffer b = ByteBuffer.allocate(actualLen).order(ByteOrder.nativeOrder());
        b.put((byte) type).put((byte) 0).putShort((short) declaredLen);
        return b.array();
    }

    ByteBuffer buffer() {
        return buf.duplicate().flip();
    }
}
