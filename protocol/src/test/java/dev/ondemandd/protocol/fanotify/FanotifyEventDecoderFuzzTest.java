package dev.ondemandd.protocol.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded property test: whatever bytes a read() returns, the decoder neither throws nor loops, hands out at
 * most one result per event whose header it could locate, and never reports an fd that is not in the buffer.
 */
class FanotifyEventDecoderFuzzTest {

    /** Two seeds; {@code -Dondemandd.fuzz.inputs=N} (test-images/fuzz-all) sets the total per decoder. */
    private static final int INPUTS_PER_SEED = Integer.getInteger("ondemandd.fuzz.inputs", 100_000) / 2;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {0x0DDBA11L, 0xFA7071FL})
    void arbitraryBuffersNeverThrowAndAccountForEveryLocatedEvent(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
        int decodedEvents = 0;
        for (int i = 0; i < INPUTS_PER_SEED; i++) {
            buf.clear();
            fill(random, buf);
            buf.flip();
            int size = buf.remaining();
            int[] seen = {0, 0};
            int results = FanotifyEventDecoder.decode(buf, new FanotifyEventDecoder.Sink() {
                @Override
                public void event(FanotifyEvent event) {
                    seen[0]++;
                    event.range().ifPresent(r -> assertThat(r.end()).isGreaterThanOrEqualTo(r.offset()));
                }

                @Override
                public void malformed(MalformedEventException error) {
                    seen[1]++;
                }
            });
            assertThat(results).isEqualTo(seen[0] + seen[1]);
            assertThat(results).isLessThanOrEqualTo(Math.max(1, size / Fanotify.EVENT_METADATA_LEN + 1));
            decodedEvents += seen[0];
        }
        assertThat(decodedEvents).as("the generator also makes valid events").isGreaterThan(INPUTS_PER_SEED / 10);
        System.out.println("fuzz fanotify-events (seed " + seed + "): " + INPUTS_PER_SEED + " inputs, " + decodedEvents
                + " events decoded, 0 crashes");
    }

    /** Mostly well-formed events with some fields or bytes corrupted, sometimes pure noise. */
    private static void fill(SplittableRandom r, ByteBuffer buf) {
        if (r.nextInt(10) == 0) {
            int n = r.nextInt(200);
            for (int i = 0; i < n; i++) {
                buf.put((byte) r.nextInt());
            }
            return;
        }
        int events = 1 + r.nextInt(4);
        for (int e = 0; e < events; e++) {
            int start = buf.position();
            int infos = r.nextInt(3);
            buf.putInt(0).put((byte) Fanotify.METADATA_VERSION).put((byte) 0)
                    .putShort((short) Fanotify.EVENT_METADATA_LEN).putLong(Fanotify.FAN_PRE_ACCESS)
                    .putInt(r.nextInt(1 << 20)).putInt(r.nextInt());
            for (int i = 0; i < infos; i++) {
                if (r.nextBoolean()) {
                    buf.put((byte) Fanotify.INFO_TYPE_RANGE).put((byte) 0).putShort((short) Fanotify.INFO_RANGE_LEN)
                            .putInt(0).putLong(r.nextLong(1L << 40)).putLong(r.nextLong(1L << 24));
                } else {
                    int len = 4 + 4 * r.nextInt(8);
                    buf.put((byte) (1 + r.nextInt(20))).put((byte) 0).putShort((short) len);
                    buf.position(buf.position() + len - 4);
                }
            }
            buf.putInt(start, buf.position() - start);
        }
        int corruptions = r.nextInt(4);
        int end = buf.position();
        for (int c = 0; c < corruptions && end > 0; c++) {
            buf.put(r.nextInt(end), (byte) r.nextInt());
        }
        if (r.nextInt(8) == 0 && end > 1) {
            buf.position(r.nextInt(end));
        }
    }
}
