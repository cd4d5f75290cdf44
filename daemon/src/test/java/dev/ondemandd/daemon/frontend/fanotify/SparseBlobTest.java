package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filled map is the file's own data extents: what a previous run wrote whole is never fetched again. */
class SparseBlobTest {
    private static final int UNIT = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void aNewCacheFileIsAllHoles() throws IOException {
        try (SparseBlob blob = SparseBlob.open(dir.resolve("b"), 10 * UNIT + 4096, UNIT)) {
            assertThat(Files.size(blob.path())).isEqualTo(10 * UNIT + 4096);
            assertThat(blob.units()).isEqualTo(11);
            assertThat(blob.filledUnits()).isZero();
            assertThat(blob.isComplete()).isFalse();
        }
    }

    @Test
    void unitsWrittenWholeByAnEarlierRunAreFilledAndPartlyWrittenOnesAreNot() throws IOException {
        Path f = dir.resolve("b");
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(10 * UNIT + 4096);
            raf.seek(2 * UNIT);
            raf.write(new byte[2 * UNIT]);           // units 2 and 3 whole
            raf.seek(6 * UNIT + 4096);
            raf.write(new byte[4096]);               // one page of unit 6
            raf.seek(10 * UNIT);
            raf.write(new byte[4096]);               // the short last unit, whole
        }
        try (SparseBlob blob = SparseBlob.open(f, 10 * UNIT + 4096, UNIT)) {
            assertThat(blob.filledUnits()).isEqualTo(3);
            assertThat(blob.isFilled(2)).isTrue();
            assertThat(blob.isFilled(3)).isTrue();
            assertThat(blob.isFilled(6)).isFalse();
            assertThat(blob.isFilled(10)).isTrue();
        }
    }

    @Test
    void aCacheFileOfAnotherSizeIsRefused() throws IOException {
        Path f = dir.resolve("b");
        Files.write(f, new byte[4096]);
        assertThatThrownBy(() -> SparseBlob.open(f, 8192, UNIT)).hasMessageContaining("belongs to another blob");
    }

    @Test
    void claimsTellFilledFromStartedFromJoined() throws IOException {
        try (SparseBlob blob = SparseBlob.open(dir.resolve("b"), 4 * UNIT, UNIT)) {
            SparseBlob.Waiter w = errno -> { };
            assertThat(blob.claim(1, w)).isEqualTo(SparseBlob.Claim.STARTED);
            assertThat(blob.claim(1, w)).isEqualTo(SparseBlob.Claim.JOINED);
            assertThat(blob.isIdle(1)).isFalse();
            assertThat(blob.isIdle(2)).isTrue();
        }
    }
}
