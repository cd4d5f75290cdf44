package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.protocol.cachefiles.MalformedMessageException.Answer;
import dev.ondemandd.protocol.cachefiles.MalformedMessageException.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Golden bytes are little-endian: the kernel writes its structs in native order, and our hosts are x86-64/arm64. */
class CachefilesCodecTest {

    // msg_id 5, OPEN, len 45, object_id 3 | volume_key_size 10, cookie_key_size 3, fd 7, flags 0 | "erofs,img\0" "img"
    static final String OPEN_GOLDEN = "05000000 00000000 2d000000 03000000 0a000000 03000000 07000000 00000000"
            + " 65726f66732c696d6700 696d67";
    // msg_id 6, READ, len 32, object_id 3 | off 0x10000, len 0x2000
    static final String READ_GOLDEN = "06000000 02000000 20000000 03000000 0000010000000000 0020000000000000";
    // msg_id 8, CLOSE, len 16, object_id 3
    static final String CLOSE_GOLDEN = "08000000 01000000 10000000 03000000";

    @BeforeAll
    static void littleEndianHost() {
        assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "golden bytes are little-endian");
    }

    static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    static ByteBuffer buf(byte[] bytes) {
        return ByteBuffer.wrap(bytes);
    }

    static CachefilesMessage decode(byte[] bytes) throws MalformedMessageException {
        return CachefilesCodec.decode(buf(bytes));
    }

    static MalformedMessageException malformed(byte[] bytes) {
        return catchThrowableOfType(MalformedMessageException.class, () -> decode(bytes));
    }

    static byte[] encode(CachefilesMessage m) {
        ByteBuffer dst = ByteBuffer.allocate(CachefilesConstants.MSG_MAX_SIZE);
        int n = CachefilesCodec.encode(m, dst);
        assertThat(dst.position()).isEqualTo(n).isEqualTo(CachefilesCodec.encodedLength(m));
        byte[] out = new byte[n];
        dst.flip().get(out);
        return out;
    }

    /** Patches a little-endian u32 at {@code at}. */
    static byte[] withU32(byte[] bytes, int at, long value) {
        byte[] copy = bytes.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) value);
        return copy;
    }

    /** {@code golden} cut or zero-extended to {@code n} bytes, with the header's len saying {@code n}. */
    static byte[] resized(String golden, int n) {
        return withU32(java.util.Arrays.copyOf(hex(golden), n), 8, n);
    }

    /** Builds an OPEN from raw parts, fixing up len to the bytes, so one field at a time can be wrong. */
    static byte[] rawOpen(long volumeKeySize, long cookieKeySize, long fd, byte[] keys) {
        ByteBuffer b = ByteBuffer.allocate(32 + keys.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(5).putInt(0).putInt(32 + keys.length).putInt(3);
        b.putInt((int) volumeKeySize).putInt((int) cookieKeySize).putInt((int) fd).putInt(0).put(keys);
        return b.array();
    }

    @Nested
    class Golden {

        @Test
        void openDecodesToTheKeysAndTheAnonymousFd() throws Exception {
            assertThat(decode(hex(OPEN_GOLDEN))).isEqualTo(
                    new OpenMessage(5, 3, "erofs,img", "img".getBytes(StandardCharsets.US_ASCII), 7, 0));
        }

        @Test
        void readDecodesToTheRange() throws Exception {
            assertThat(decode(hex(READ_GOLDEN))).isEqualTo(new ReadMessage(6, 3, 0x10000, 0x2000));
        }

        @Test
        void closeIsABareHeader() throws Exception {
            assertThat(decode(hex(CLOSE_GOLDEN))).isEqualTo(new CloseMessage(8, 3));
        }

        @Test
        void encodeWritesTheSameBytesTheKernelDoes() {
            assertThat(encode(new OpenMessage(5, 3, "erofs,img", "img".getBytes(StandardCharsets.US_ASCII), 7, 0)))
                    .isEqualTo(hex(OPEN_GOLDEN));
            assertThat(encode(new ReadMessage(6, 3, 0x10000, 0x2000))).isEqualTo(hex(READ_GOLDEN));
            assertThat(encode(new CloseMessage(8, 3))).isEqualTo(hex(CLOSE_GOLDEN));
        }

        @Test
        void decodeConsumesExactlyTheBytesReadAndLeavesThemOnFailure() throws Exception {
            ByteBuffer ok = ByteBuffer.allocate(64).put(hex(CLOSE_GOLDEN)).flip();
            CachefilesCodec.decode(ok);
            assertThat(ok.position()).isEqualTo(16);
            ByteBuffer bad = ByteBuffer.allocate(64).put(hex(CLOSE_GOLDEN)).put((byte) 0).flip();
            catchThrowableOfType(MalformedMessageException.class, () -> CachefilesCodec.decode(bad));
            assertThat(bad.position()).isZero();
        }

        @Test
        void decodeReadsFromTheBufferPositionAndIgnoresItsByteOrder() throws Exception {
            ByteBuffer b = ByteBuffer.allocateDirect(1024).order(ByteOrder.BIG_ENDIAN);
            b.put((byte) 0x55).put(hex(READ_GOLDEN)).flip().position(1);
            assertThat(CachefilesCodec.decode(b)).isEqualTo(new ReadMessage(6, 3, 0x10000, 0x2000));
        }

        @Test
        void binaryCookieKeysAndUtf8VolumeKeysRoundTrip() throws Exception {
            byte[] cookie = new byte[255];
            for (int i = 0; i < cookie.length; i++) {
                cookie[i] = (byte) i; // includes NUL: cookie keys are binary
            }
            OpenMessage m = new OpenMessage(1, 1, "erofs,dömäin-" + "x".repeat(200), cookie, 0, 0);
            assertThat(decode(encode(m))).isEqualTo(m);
        }

        @Test
        void msgIdsAboveIntMaxStayUnsignedBits() throws Exception {
            byte[] close = withU32(hex(CLOSE_GOLDEN), 0, 0xFFFFFFF0L);
            assertThat(decode(close).msgId()).isEqualTo(0xFFFFFFF0);
        }
    }

    @Nested
    class Malformed {

        void expect(byte[] bytes, Reason reason, Answer answer) {
            MalformedMessageException e = malformed(bytes);
            assertThat(e).as("decode must refuse").isNotNull();
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.answer()).isEqualTo(answer);
            assertThat(e.getMessage()).startsWith(reason.label() + ": ");
        }

        @Test
        void shorterThanAHeaderIsDropped() {
            expect(new byte[15], Reason.TRUNCATED_HEADER, Answer.DROP);
            expect(new byte[0], Reason.TRUNCATED_HEADER, Answer.DROP);
            assertThat(malformed(new byte[15]).opcode()).isEqualTo(-1);
        }

        @Test
        void longerThanTheMessageMaximumIsRefused() {
            expect(resized(CLOSE_GOLDEN, 1025), Reason.TOO_LONG, Answer.DROP);
        }

        @Test
        void lenDisagreeingWithTheBytesReadStillFailsAnOpenWithEinval() {
            MalformedMessageException e = malformed(withU32(hex(OPEN_GOLDEN), 8, 44));
            assertThat(e.reason()).isEqualTo(Reason.LENGTH_MISMATCH);
            assertThat(e.answer()).isEqualTo(Answer.COPEN_ERROR);
            assertThat(e.msgId()).isEqualTo(5);
            assertThat(e.copenResult()).isEqualTo(-22);
            assertThat(e.openFd()).as("payload not trusted").isEqualTo(-1);
        }

        @Test
        void lenDisagreeingOnAReadFailsTheRead() {
            expect(withU32(hex(READ_GOLDEN), 8, 0xFFFFFFFFL), Reason.LENGTH_MISMATCH, Answer.FAIL_READ);
            expect(withU32(hex(CLOSE_GOLDEN), 8, 17), Reason.LENGTH_MISMATCH, Answer.DROP);
        }

        @Test
        void unknownOpcodesAreDropped() {
            expect(withU32(hex(CLOSE_GOLDEN), 4, 3), Reason.UNKNOWN_OPCODE, Answer.DROP);
            expect(withU32(hex(CLOSE_GOLDEN), 4, 0xFFFFFFFFL), Reason.UNKNOWN_OPCODE, Answer.DROP);
        }

        @Test
        void openShorterThanItsFixedPart() {
            expect(resized(OPEN_GOLDEN, 20), Reason.TRUNCATED_OPEN, Answer.COPEN_ERROR);
        }

        @Test
        void keySizesThatDoNotAddUpToThePayload() {
            MalformedMessageException e = malformed(withU32(hex(OPEN_GOLDEN), 16, 11));
            assertThat(e.reason()).isEqualTo(Reason.KEY_SIZES_MISMATCH);
            assertThat(e.answer()).isEqualTo(Answer.COPEN_ERROR);
            assertThat(e.openFd()).as("the fd the kernel installed, to close").isEqualTo(7);
        }

        @Test
        void keySizesThatOnlyAddUpWhenTheySumWrapsInt() {
            // 32 + 0xFFFFFFFF + 14 == 45 in 32-bit arithmetic; in long it is far beyond the payload.
            byte[] open = withU32(withU32(hex(OPEN_GOLDEN), 16, 0xFFFFFFFFL), 20, 14);
            expect(open, Reason.KEY_SIZES_MISMATCH, Answer.COPEN_ERROR);
        }

        @Test
        void volumeKeyWithoutItsNul() {
            expect(rawOpen(10, 3, 7, "erofs,imgXimg".getBytes(StandardCharsets.US_ASCII)),
                    Reason.BAD_VOLUME_KEY, Answer.COPEN_ERROR);
        }

        @Test
        void volumeKeyWithANulInside() {
            expect(rawOpen(10, 3, 7, "erofs\0img\0img".getBytes(StandardCharsets.US_ASCII)),
                    Reason.BAD_VOLUME_KEY, Answer.COPEN_ERROR);
        }

        @Test
        void volumeKeyOfSizeZeroHasNoRoomForItsNul() {
            expect(rawOpen(0, 3, 7, "img".getBytes(StandardCharsets.US_ASCII)), Reason.BAD_VOLUME_KEY,
                    Answer.COPEN_ERROR);
        }

        @Test
        void volumeKeyLongerThanFscacheAllows() {
            byte[] keys = new byte[257];
            java.util.Arrays.fill(keys, 0, 256, (byte) 'v');
            expect(rawOpen(257, 0, 7, keys), Reason.BAD_VOLUME_KEY, Answer.COPEN_ERROR);
        }

        @Test
        void volumeKeyThatIsNotUtf8() {
            expect(rawOpen(3, 0, 7, new byte[] {(byte) 0xC3, 0x28, 0}), Reason.VOLUME_KEY_ENCODING,
                    Answer.COPEN_ERROR);
            expect(rawOpen(4, 0, 7, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80, 0}),
                    Reason.VOLUME_KEY_ENCODING, Answer.COPEN_ERROR);
        }

        @Test
        void cookieKeyLongerThan255Bytes() {
            byte[] keys = new byte[2 + 256];
            keys[0] = 'v';
            expect(rawOpen(2, 256, 7, keys), Reason.COOKIE_KEY_TOO_LONG, Answer.COPEN_ERROR);
        }

        @Test
        void fdThatIsNoIntFd() {
            MalformedMessageException e = malformed(withU32(hex(OPEN_GOLDEN), 24, 0x80000000L));
            assertThat(e.reason()).isEqualTo(Reason.BAD_FD);
            assertThat(e.answer()).isEqualTo(Answer.COPEN_ERROR);
            assertThat(e.openFd()).isEqualTo(-1);
        }

        @Test
        void objectIdOutsideTheKernelsRange() {
            expect(withU32(hex(OPEN_GOLDEN), 12, 0), Reason.BAD_OBJECT_ID, Answer.COPEN_ERROR);
            expect(withU32(hex(READ_GOLDEN), 12, 0xFFFFFFFFL), Reason.BAD_OBJECT_ID, Answer.DROP);
            expect(withU32(hex(CLOSE_GOLDEN), 12, 0), Reason.BAD_OBJECT_ID, Answer.DROP);
        }

        @Test
        void readOfTheWrongSize() {
            expect(resized(READ_GOLDEN, 40), Reason.BAD_SIZE, Answer.FAIL_READ);
            MalformedMessageException e = malformed(resized(READ_GOLDEN, 24));
            assertThat(e.answer()).isEqualTo(Answer.FAIL_READ);
            assertThat(e.msgId()).isEqualTo(6);
            assertThat(e.objectId()).isEqualTo(3);
        }

        @Test
        void readOffsetOrLengthAboveSignedRange() {
            byte[] read = hex(READ_GOLDEN);
            ByteBuffer.wrap(read).order(ByteOrder.LITTLE_ENDIAN).putLong(16, -4096L);
            expect(read, Reason.BAD_RANGE, Answer.FAIL_READ);
            byte[] len = hex(READ_GOLDEN);
            ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).putLong(24, Long.MIN_VALUE);
            expect(len, Reason.BAD_RANGE, Answer.FAIL_READ);
        }

        @Test
        void readWhoseEndOverflows() {
            byte[] read = hex(READ_GOLDEN);
            ByteBuffer.wrap(read).order(ByteOrder.LITTLE_ENDIAN).putLong(16, Long.MAX_VALUE - 4095).putLong(24, 4096);
            expect(read, Reason.BAD_RANGE, Answer.FAIL_READ);
            ByteBuffer.wrap(read).order(ByteOrder.LITTLE_ENDIAN).putLong(24, 4095);
            assertThat(malformed(read)).as("ends exactly at Long.MAX_VALUE").isNull();
        }

        @Test
        void closeOfTheWrongSize() {
            expect(resized(CLOSE_GOLDEN, 20), Reason.BAD_SIZE, Answer.DROP);
        }
    }
}
