package dev.ondemandd.protocol.cachefiles.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The simulated kernel's in-memory record of what a cache file holds. */
class FilledRangesTest {

    @Test
    void aRangeIsCoveredOnlyWhenEveryByteOfItWasWritten() {
        FilledRanges ranges = new FilledRanges();
        ranges.add(4096, 8192);
        ranges.add(12288, 16384);

        assertThat(ranges.covers(4096, 8192)).isTrue();
        assertThat(ranges.covers(5000, 6000)).isTrue();
        assertThat(ranges.covers(0, 4096)).isFalse();
        assertThat(ranges.covers(4096, 8193)).isFalse();
        assertThat(ranges.covers(8192, 12288)).isFalse();
        assertThat(ranges.covers(4096, 16384)).as("a hole in between").isFalse();
        assertThat(ranges.covers(100, 100)).as("an empty range").isTrue();

        ranges.add(8192, 12288);
        assertThat(ranges.covers(4096, 16384)).as("touching ranges merge").isTrue();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void agreesWithAByteMapUnderRandomWrites(long seed) {
        Random random = new Random(seed);
        int size = 1 << 12;
        BitSet bytes = new BitSet(size);
        FilledRanges ranges = new FilledRanges();
        for (int i = 0; i < 200; i++) {
            int from = random.nextInt(size);
            int to = Math.min(size, from + random.nextInt(64));
            bytes.set(from, to);
            ranges.add(from, to);
            int qFrom = random.nextInt(size);
            int qTo = Math.min(size, qFrom + random.nextInt(128));
            boolean expected = bytes.nextClearBit(qFrom) >= qTo;
            assertThat(ranges.covers(qFrom, qTo)).as("[%d, %d) after %d writes", qFrom, qTo, i + 1)
                    .isEqualTo(expected);
        }
    }
}
