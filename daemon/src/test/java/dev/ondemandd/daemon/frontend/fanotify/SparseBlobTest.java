package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a restart trusts: a unit its fill record holds whole and the file holds as data; anything else is fetched
 * whole again.
 */
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
    void onlyUnitsRecordedWholeThatTheFileStillHoldsAsDataAreTrusted() throws IOException {
        Path f = dir.resolve("b");
        long size = 10 * UNIT + 4096;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(size);
            raf.seek(2 * UNIT);
            raf.write(new byte[2 * UNIT]);           // units 2 and 3 all data
            raf.seek(6 * UNIT + 4096);
            raf.write(new byte[4096]);               // one page of unit 6
            raf.seek(10 * UNIT);
            raf.write(new byte[4096]);               // the short last unit, all data
        }
        FillRecord.create(FillRecord.of(f), size, UNIT);
        try (FillRecord record = FillRecord.open(FillRecord.of(f), size, UNIT)) {
            record.markWhole(2);
            record.markWhole(6);   // recorded, but only one page is data
            record.markWhole(8);   // recorded, but a hole: the record outlived its data (power loss)
            record.markWhole(10);
        }
        try (SparseBlob blob = SparseBlob.open(f, size, UNIT)) {
            assertThat(blob.isFilled(2)).isTrue();
            assertThat(blob.isFilled(10)).isTrue();
            assertThat(blob.isFilled(3)).as("all data, but no fill recorded it whole: a crash before its punch").isFalse();
            assertThat(blob.isFilled(6)).isFalse();
            assertThat(blob.isFilled(8)).isFalse();
            assertThat(blob.filledUnits()).isEqualTo(2);
        }
    }

    @Test
    void aCacheFileWithoutARecordTrustsNoUnitAndGetsAnEmptyRecord() throws IOException {
        Path f = dir.resolve("b");
        Files.write(f, new byte[4 * UNIT]);          // all data, as a daemon without fill records left it
        try (SparseBlob blob = SparseBlob.open(f, 4 * UNIT, UNIT)) {
            assertThat(blob.filledUnits()).isZero();
        }
        assertThat(FillRecord.of(f)).exists().hasSize(FillRecord.HEADER_BYTES + 1);
    }

    @Test
    void aRecordMadeForOtherUnitsOrSizesTrustsNothing() throws IOException {
        Path f = dir.resolve("b");
        Files.write(f, new byte[4 * UNIT]);
        FillRecord.create(FillRecord.of(f), 4 * UNIT, 2 * UNIT);
        try (FillRecord record = FillRecord.open(FillRecord.of(f), 4 * UNIT, 2 * UNIT)) {
            record.markWhole(0);
            record.markWhole(1);
        }
        try (SparseBlob blob = SparseBlob.open(f, 4 * UNIT, UNIT)) {
            assertThat(blob.filledUnits()).isZero();
        }
        Files.write(FillRecord.of(f), new byte[] {1, 2, 3});
        try (SparseBlob blob = SparseBlob.open(f, 4 * UNIT, UNIT)) {
            assertThat(blob.filledUnits()).isZero();
        }
    }

    @Test
    void aBlobCreatedAnewIgnoresTheRecordItsEvictedPredecessorLeft() throws IOException {
        Path f = dir.resolve("b");
        FillRecord.create(FillRecord.of(f), 4 * UNIT, UNIT);
        try (FillRecord stale = FillRecord.open(FillRecord.of(f), 4 * UNIT, UNIT)) {
            stale.markWhole(0);
        }
        try (SparseBlob blob = SparseBlob.open(f, 4 * UNIT, UNIT)) {   // the blob file itself was evicted
            assertThat(blob.filledUnits()).isZero();
        }
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.write(new byte[UNIT]);                   // unit 0 all data, though no fill of this blob wrote it
        }
        try (SparseBlob blob = SparseBlob.open(f, 4 * UNIT, UNIT)) {
            assertThat(blob.isFilled(0)).isFalse();
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
