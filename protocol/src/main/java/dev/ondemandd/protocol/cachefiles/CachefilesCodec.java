package dev.ondemandd.protocol.cachefiles;

import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.CLOSE_MSG_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.COOKIE_KEY_MAX_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.MSG_HEADER_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.MSG_MAX_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OPEN_KEYS_OFFSET;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_CLOSE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_OPEN;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.OP_READ;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.READ_MSG_SIZE;
import static dev.ondemandd.protocol.cachefiles.CachefilesConstants.VOLUME_KEY_MAX_SIZE;

import dev.ondemandd.protocol.cachefiles.MalformedMessageException.Answer;
import dev.ondemandd.protocol.cachefiles.MalformedMessageException.Reason;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Decodes what one read() of /dev/cachefiles returned, and encodes messages the way the kernel lays them out
 * (for the simulated kernel and tests). Kernel structs are in native byte order.
 *
 * <pre>
 * struct cachefiles_msg  { __u32 msg_id; __u32 opcode; __u32 len; __u32 object_id; __u8 data[]; };
 * struct cachefiles_open { __u32 volume_key_size; __u32 cookie_key_size; __u32 fd; __u32 flags; __u8 data[]; };
 * struct cachefiles_read { __u64 off; __u64 len; };
 * </pre>
 *
 * <p>Every size the kernel hands over is checked against the bytes actually read before anything is read or
 * allocated; sums are computed in {@code long}. Nothing but {@link MalformedMessageException} escapes
 * {@link #decode}.
 */
public final class CachefilesCodec {

    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    private CachefilesCodec() {
    }

    /**
     * Decodes the bytes between {@code src}'s position and limit, which must be exactly what one read() returned.
     * On success the position moves to the limit; on failure it is left where it was.
     */
    public static CachefilesMessage decode(ByteBuffer src) throws MalformedMessageException {
        // Absolute reads from the position, in native order whatever src's order: no view buffer per message.
        ByteBuffer b = src;
        int p = src.position();
        int n = src.remaining();
        if (n < MSG_HEADER_SIZE) {
            throw drop(Reason.TRUNCATED_HEADER, -1, 0, 0, "read " + n + " bytes, a header is " + MSG_HEADER_SIZE);
        }
        int msgId = i32(b, p);
        int opcode = i32(b, p + 4);
        long len = Integer.toUnsignedLong(i32(b, p + 8));
        int objectId = i32(b, p + 12);
        if (n > MSG_MAX_SIZE) {
            throw answerable(Reason.TOO_LONG, opcode, msgId, objectId, -1,
                    "read " + n + " bytes, more than CACHEFILES_MSG_MAX_SIZE " + MSG_MAX_SIZE);
        }
        if (len != n) {
            throw answerable(Reason.LENGTH_MISMATCH, opcode, msgId, objectId, -1,
                    "header len " + len + " but read " + n + " bytes");
        }
        CachefilesMessage message = switch (opcode) {
            case OP_OPEN -> decodeOpen(b, p, n, msgId, objectId);
            case OP_READ -> decodeRead(b, p, n, msgId, objectId);
            case OP_CLOSE -> decodeClose(n, msgId, objectId);
            default -> throw drop(Reason.UNKNOWN_OPCODE, opcode, msgId, objectId,
                    "opcode " + Integer.toUnsignedString(opcode));
        };
        src.position(src.limit());
        return message;
    }

    /** A u32/s32 at absolute {@code index}, in native order whatever {@code b}'s order. */
    private static int i32(ByteBuffer b, int index) {
        int v = b.getInt(index);
        return b.order() == NATIVE ? v : Integer.reverseBytes(v);
    }

    /** A u64/s64 at absolute {@code index}, in native order whatever {@code b}'s order. */
    private static long i64(ByteBuffer b, int index) {
        long v = b.getLong(index);
        return b.order() == NATIVE ? v : Long.reverseBytes(v);
    }

    private static OpenMessage decodeOpen(ByteBuffer b, int p, int n, int msgId, int objectId)
            throws MalformedMessageException {
        if (n < OPEN_KEYS_OFFSET) {
            throw answerable(Reason.TRUNCATED_OPEN, OP_OPEN, msgId, objectId, -1,
                    "OPEN of " + n + " bytes, its fixed part ends at " + OPEN_KEYS_OFFSET);
        }
        long volumeKeySize = Integer.toUnsignedLong(i32(b, p + MSG_HEADER_SIZE));
        long cookieKeySize = Integer.toUnsignedLong(i32(b, p + MSG_HEADER_SIZE + 4));
        long rawFd = Integer.toUnsignedLong(i32(b, p + MSG_HEADER_SIZE + 8));
        int flags = i32(b, p + MSG_HEADER_SIZE + 12);
        // The fd is in our table whatever else is wrong: hand it back for closing if it is a plausible fd.
        int fd = rawFd <= Integer.MAX_VALUE ? (int) rawFd : -1;
        if (fd < 0) {
            throw answerable(Reason.BAD_FD, OP_OPEN, msgId, objectId, -1, "fd " + rawFd);
        }
        checkObjectId(OP_OPEN, msgId, objectId, fd);
        if (OPEN_KEYS_OFFSET + volumeKeySize + cookieKeySize != n) {
            throw answerable(Reason.KEY_SIZES_MISMATCH, OP_OPEN, msgId, objectId, fd, "volume_key_size "
                    + volumeKeySize + " + cookie_key_size " + cookieKeySize + " != payload " + (n - OPEN_KEYS_OFFSET));
        }
        if (volumeKeySize < 1 || volumeKeySize > VOLUME_KEY_MAX_SIZE) {
            throw answerable(Reason.BAD_VOLUME_KEY, OP_OPEN, msgId, objectId, fd,
                    "volume_key_size " + volumeKeySize + " outside [1, " + VOLUME_KEY_MAX_SIZE + "]");
        }
        if (cookieKeySize > COOKIE_KEY_MAX_SIZE) {
            throw answerable(Reason.COOKIE_KEY_TOO_LONG, OP_OPEN, msgId, objectId, fd,
                    "cookie_key_size " + cookieKeySize + " > " + COOKIE_KEY_MAX_SIZE);
        }
        int volumeStart = p + OPEN_KEYS_OFFSET;
        int volumeChars = (int) volumeKeySize - 1;
        if (b.get(volumeStart + volumeChars) != 0) {
            throw answerable(Reason.BAD_VOLUME_KEY, OP_OPEN, msgId, objectId, fd, "volume key lacks its NUL");
        }
        for (int i = 0; i < volumeChars; i++) {
            if (b.get(volumeStart + i) == 0) {
                throw answerable(Reason.BAD_VOLUME_KEY, OP_OPEN, msgId, objectId, fd,
                        "NUL inside the volume key at byte " + i);
            }
        }
        String volumeKey;
        try {
            volumeKey = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(b.slice(volumeStart, volumeChars))
                    .toString();
        } catch (CharacterCodingException e) {
            throw answerable(Reason.VOLUME_KEY_ENCODING, OP_OPEN, msgId, objectId, fd, "volume key is not UTF-8");
        }
        byte[] cookieKey = new byte[(int) cookieKeySize];
        b.get(volumeStart + (int) volumeKeySize, cookieKey);
        return new OpenMessage(msgId, objectId, volumeKey, cookieKey, fd, flags);
    }

    private static ReadMessage decodeRead(ByteBuffer b, int p, int n, int msgId, int objectId)
            throws MalformedMessageException {
        if (n != READ_MSG_SIZE) {
            throw answerable(Reason.BAD_SIZE, OP_READ, msgId, objectId, -1,
                    "READ of " + n + " bytes, expected " + READ_MSG_SIZE);
        }
        checkObjectId(OP_READ, msgId, objectId, -1);
        long off = i64(b, p + MSG_HEADER_SIZE);
        long len = i64(b, p + MSG_HEADER_SIZE + 8);
        // u64 values above Long.MAX_VALUE read as negative; an end past Long.MAX_VALUE cannot be a file offset.
        if (off < 0 || len < 0 || off > Long.MAX_VALUE - len) {
            throw answerable(Reason.BAD_RANGE, OP_READ, msgId, objectId, -1,
                    "off " + Long.toUnsignedString(off) + " len " + Long.toUnsignedString(len));
        }
        return new ReadMessage(msgId, objectId, off, len);
    }

    private static CloseMessage decodeClose(int n, int msgId, int objectId) throws MalformedMessageException {
        if (n != CLOSE_MSG_SIZE) {
            throw drop(Reason.BAD_SIZE, OP_CLOSE, msgId, objectId, "CLOSE of " + n + " bytes, expected " + CLOSE_MSG_SIZE);
        }
        checkObjectId(OP_CLOSE, msgId, objectId, -1);
        return new CloseMessage(msgId, objectId);
    }

    private static void checkObjectId(int opcode, int msgId, int objectId, int fd) throws MalformedMessageException {
        if (objectId <= 0) {
            throw answerable(Reason.BAD_OBJECT_ID, opcode, msgId, objectId, fd,
                    "object_id " + Integer.toUnsignedString(objectId));
        }
    }

    /** A message whose header is whole: OPENs are failed with copen, READs completed empty, the rest dropped. */
    private static MalformedMessageException answerable(Reason reason, int opcode, int msgId, int objectId, int fd,
            String detail) {
        Answer answer = switch (opcode) {
            case OP_OPEN -> Answer.COPEN_ERROR;
            case OP_READ -> objectId > 0 ? Answer.FAIL_READ : Answer.DROP;
            default -> Answer.DROP;
        };
        return new MalformedMessageException(reason, answer, opcode, msgId, objectId, fd, detail);
    }

    private static MalformedMessageException drop(Reason reason, int opcode, int msgId, int objectId, String detail) {
        return new MalformedMessageException(reason, Answer.DROP, opcode, msgId, objectId, -1, detail);
    }

    /** The exact length {@link #encode} writes for {@code message}. */
    public static int encodedLength(CachefilesMessage message) {
        return switch (message) {
            case OpenMessage o -> OPEN_KEYS_OFFSET + o.volumeKey().getBytes(StandardCharsets.UTF_8).length + 1
                    + o.cookieKeyLength();
            case ReadMessage r -> READ_MSG_SIZE;
            case CloseMessage c -> CLOSE_MSG_SIZE;
        };
    }

    /**
     * Writes {@code message} at {@code dst}'s position in native byte order, as the kernel lays it out, and
     * advances the position.
     *
     * @return the number of bytes written (the header's len)
     * @throws IllegalArgumentException if the message breaks a kernel limit (key sizes, NUL in the volume key)
     * @throws BufferOverflowException if {@code dst} has too little room
     */
    public static int encode(CachefilesMessage message, ByteBuffer dst) {
        int len = encodedLength(message);
        if (len > MSG_MAX_SIZE) {
            throw new IllegalArgumentException("message of " + len + " bytes exceeds " + MSG_MAX_SIZE);
        }
        if (dst.remaining() < len) {
            throw new BufferOverflowException();
        }
        ByteBuffer b = dst.slice().order(NATIVE);
        switch (message) {
            case OpenMessage o -> {
                byte[] volume = o.volumeKey().getBytes(StandardCharsets.UTF_8);
                byte[] cookie = o.cookieKey();
                if (volume.length + 1 > VOLUME_KEY_MAX_SIZE || cookie.length > COOKIE_KEY_MAX_SIZE) {
                    throw new IllegalArgumentException("key too long: volume " + volume.length + " cookie " + cookie.length);
                }
                for (byte c : volume) {
                    if (c == 0) {
                        throw new IllegalArgumentException("NUL inside the volume key");
                    }
                }
                putHeader(b, o.msgId(), OP_OPEN, len, o.objectId());
                b.putInt(volume.length + 1).putInt(cookie.length).putInt(o.fd()).putInt(o.flags());
                b.put(volume).put((byte) 0).put(cookie);
            }
            case ReadMessage r -> {
                putHeader(b, r.msgId(), OP_READ, len, r.objectId());
                b.putLong(r.offset()).putLong(r.length());
            }
            case CloseMessage c -> putHeader(b, c.msgId(), OP_CLOSE, len, c.objectId());
        }
        dst.position(dst.position() + len);
        return len;
    }

    private static void putHeader(ByteBuffer b, int msgId, int opcode, int len, int objectId) {
        b.putInt(msgId).putInt(opcode).putInt(len).putInt(objectId);
    }
}
