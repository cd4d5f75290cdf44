package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded fuzzing of {@link CachefilesCodec#decode}: random and mutated messages. The decoder either returns a
 * message that re-encodes to exactly the bytes it was given, or throws {@link MalformedMessageException};
 * nothing else may escape.
 */
class CachefilesCodecFuzzTest {

    /** Per seed (two seeds); {@code -Dondemandd.fuzz.inputs=N} (test-images/fuzz-all) sets the total per decoder. */
    static final int ITERATIONS = Integer.getInteger("ondemandd.fuzz.inputs", 240_000) / 2;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {0x0DDBA11L, 20261122L})
    void nothingButMalformedMessageExceptionEscapes(long seed) {
        Random rnd = new Random(seed);
        Map<MalformedMessageException.Reason, Integer> reasons = new EnumMap<>(MalformedMessageException.Reason.class);
        int decoded = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            byte[] input = mutate(rnd, valid(rnd));
            try {
                CachefilesMessage m = CachefilesCodec.decode(ByteBuffer.wrap(input));
                decoded++;
                ByteBuffer again = ByteBuffer.allocate(CachefilesConstants.MSG_MAX_SIZE);
                CachefilesCodec.encode(m, again);
                assertThat(java.util.Arrays.copyOf(again.array(), again.position()))
                        .as("round trip of iteration %d", i).isEqualTo(input);
            } catch (MalformedMessageException e) {
                reasons.merge(e.reason(), 1, Integer::sum);
                assertThat(e.answer()).isNotNull();
                if (e.answer() == MalformedMessageException.Answer.COPEN_ERROR) {
                    assertThat(e.opcode()).isEqualTo(CachefilesConstants.OP_OPEN);
                }
            } catch (RuntimeException | Error e) {
                fail("iteration " + i + " (seed " + seed + ") escaped with " + e + " on "
                        + java.util.HexFormat.of().formatHex(input), e);
            }
        }
        // The generator must exercise both sides, or this test proves nothing.
        assertThat(decoded).as("valid messages decoded").isGreaterThan(ITERATIONS / 20);
        assertThat(reasons.keySet()).as("malformed kinds reached").hasSizeGreaterThanOrEqualTo(10);
        System.out.println("fuzz cachefiles-messages (seed " + seed + "): " + ITERATIONS + " inputs, " + decoded
                + " decoded, " + (ITERATIONS - decoded) + " malformed, 0 crashes");
    }

    private static byte[] valid(Random rnd) {
        CachefilesMessage m = switch (rnd.nextInt(3)) {
            case 0 -> {
                byte[] cookie = new byte[rnd.nextInt(rnd.nextBoolean() ? 16 : 256)];
                rnd.nextBytes(cookie);
                String volume = "erofs," + "d".repeat(rnd.nextInt(rnd.nextBoolean() ? 8 : 250));
                yield new OpenMessage(rnd.nextInt(), 1 + rnd.nextInt(Integer.MAX_VALUE), volume, cookie,
                        rnd.nextInt(Integer.MAX_VALUE), rnd.nextInt(4) == 0 ? rnd.nextInt() : 0);
            }
            case 1 -> new ReadMessage(rnd.nextInt(), 1 + rnd.nextInt(Integer.MAX_VALUE),
                    rnd.nextLong() >>> (1 + rnd.nextInt(63)), rnd.nextLong() >>> (1 + rnd.nextInt(63)));
            default -> new CloseMessage(rnd.nextInt(), 1 + rnd.nextInt(Integer.MAX_VALUE));
        };
        if (m instanceof ReadMessage r && r.offset() > Long.MAX_VALUE - r.length()) {
            m = new ReadMessage(r.msgId(), r.objectId(), r.offset() / 2, r.length() / 2);
        }
        ByteBuffer dst = ByteBuffer.allocate(CachefilesConstants.MSG_MAX_SIZE);
        int n = CachefilesCodec.encode(m, dst);
        return java.util.Arrays.copyOf(dst.array(), n);
    }

    private static byte[] mutate(Random rnd, byte[] msg) {
        return switch (rnd.nextInt(10)) {
            case 0 -> msg; // left intact
            case 1 -> { // flip a few random bytes
                byte[] out = msg.clone();
                for (int k = 1 + rnd.nextInt(4); k > 0; k--) {
                    out[rnd.nextInt(out.length)] ^= (byte) (1 + rnd.nextInt(255));
                }
                yield out;
            }
            case 2 -> java.util.Arrays.copyOf(msg, rnd.nextInt(msg.length + 1)); // cut short
            case 3 -> { // extended, len patched or not
                byte[] out = java.util.Arrays.copyOf(msg, msg.length + 1 + rnd.nextInt(1100 - msg.length));
                if (rnd.nextBoolean()) {
                    ByteBuffer.wrap(out).order(ByteOrder.nativeOrder()).putInt(8, out.length);
                }
                yield out;
            }
            case 4 -> patchInt(msg, rnd, 8); // len
            case 5 -> patchInt(msg, rnd, 4); // opcode
            case 6 -> msg.length >= 24 ? patchInt(msg, rnd, 16 + 4 * rnd.nextInt(2)) : msg; // key sizes / off
            case 7 -> { // the volume key's bytes replaced with random, possibly invalid UTF-8 or NULs
                byte[] out = msg.clone();
                for (int k = 32; k < Math.min(out.length, 40); k++) {
                    out[k] = (byte) rnd.nextInt(256);
                }
                yield out;
            }
            case 8 -> { // pure noise with a plausible header
                byte[] out = new byte[rnd.nextInt(1030)];
                rnd.nextBytes(out);
                if (out.length >= 16) {
                    ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.nativeOrder());
                    b.putInt(4, rnd.nextInt(4)).putInt(8, out.length);
                }
                yield out;
            }
            default -> { // a text that is not a message at all
                byte[] text = ("cull=0 frun=" + rnd.nextLong()).getBytes(StandardCharsets.US_ASCII);
                yield text;
            }
        };
    }

    private static byte[] patchInt(byte[] msg, Random rnd, int at) {
        if (msg.length < at + 4) {
            return msg;
        }
        byte[] out = msg.clone();
        int value = switch (rnd.nextInt(4)) {
            case 0 -> rnd.nextInt();
            case 1 -> -1 - rnd.nextInt(4);
            case 2 -> rnd.nextInt(2048);
            default -> Integer.MIN_VALUE + rnd.nextInt(64);
        };
        ByteBuffer.wrap(out).order(ByteOrder.nativeOrder()).putInt(at, value);
        return out;
    }
}
