package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.nativeio.FileId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal of events read but not answered: what a successor finds after this worker dies. */
class PendingJournalTest {
    private static final FileId BLOB = new FileId(8, 1, 1234567L);

    @TempDir
    Path dir;

    @Test
    void aSuccessorMappingTheSameFileFindsEveryEventRecordedAndNotCleared() throws IOException {
        Path file = dir.resolve("j");
        PendingJournal writer = PendingJournal.create(file, 1024);
        assertThat(writer.record(7, BLOB, 4096, 8192)).isTrue();
        assertThat(writer.record(9, BLOB, 0, PendingJournal.NO_RANGE)).isTrue();
        assertThat(writer.record(12, null, 65536, 4096)).isTrue();
        writer.clear(9);

        PendingJournal successor = PendingJournal.open(file);
        assertThat(successor.pending()).containsExactly(new PendingJournal.Entry(7, BLOB, 4096, 8192),
                new PendingJournal.Entry(12, null, 65536, 4096));
        assertThat(successor.fdLimit()).isEqualTo(1024);
    }

    @Test
    void aNumberReusedAfterItsAnswerHoldsTheNewEventOnly() throws IOException {
        PendingJournal j = PendingJournal.create(dir.resolve("j"), 64);
        j.record(5, BLOB, 0, 4096);
        j.clear(5);
        j.record(5, BLOB, 1 << 20, 4096);
        assertThat(j.pending()).containsExactly(new PendingJournal.Entry(5, BLOB, 1 << 20, 4096));
        assertThat(j.pending().get(0).hasRange()).isTrue();
    }

    @Test
    void fdsBeyondTheTableAreRefusedNotWrittenOutOfBounds() throws IOException {
        PendingJournal j = PendingJournal.create(dir.resolve("j"), 16);
        assertThat(j.record(16, BLOB, 0, 1)).isFalse();
        assertThat(j.record(-1, BLOB, 0, 1)).isFalse();
        j.clear(99);
        assertThat(j.pending()).isEmpty();
    }

    @Test
    void theFdLimitOnlyRisesSoEveryGenerationsNumbersAreProbed() throws IOException {
        PendingJournal j = PendingJournal.create(dir.resolve("j"), 1024);
        j.raiseFdLimit(512);
        assertThat(j.fdLimit()).isEqualTo(1024);
        j.raiseFdLimit(4096);
        assertThat(PendingJournal.open(dir.resolve("j")).fdLimit()).isEqualTo(4096);
    }

    @Test
    void aFileThatIsNoJournalIsRefusedWithItsReason() throws IOException {
        Path small = Files.write(dir.resolve("small"), new byte[10]);
        assertThatThrownBy(() -> PendingJournal.open(small)).hasMessageContaining("shorter than its header");
        Path other = Files.write(dir.resolve("other"), new byte[4096]);
        assertThatThrownBy(() -> PendingJournal.open(other)).hasMessageContaining("unknown magic");
    }

    @Test
    void withoutAHolderNothingIsRecorded() {
        PendingJournal j = PendingJournal.disabled();
        assertThat(j.enabled()).isFalse();
        assertThat(j.record(3, BLOB, 0, 1)).isTrue();
        assertThat(j.pending()).isEmpty();
        assertThat(j.fdLimit()).isZero();
    }
}
