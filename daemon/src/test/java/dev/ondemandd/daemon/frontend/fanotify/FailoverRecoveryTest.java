package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.protocol.fanotify.Fanotify;
import dev.ondemandd.protocol.nativeio.FileId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery against a group that behaves as fs/notify/fanotify/fanotify_user.c does: a response is matched by the
 * fd number alone; a number with nothing pending is ENOENT.
 */
class FailoverRecoveryTest {
    private static final FileId BLOB = new FileId(8, 1, 42L);
    private static final int DENY_EIO = Fanotify.denyErrno(5);

    @TempDir
    Path dir;

    /** The kernel's access list, by number, and every answer written. */
    private static final class FakeGroup implements FailoverRecovery.Responder {
        final Set<Integer> pending = new HashSet<>();
        final List<String> answers = new ArrayList<>();
        int writes;

        @Override
        public synchronized boolean answer(int fd, int response) {
            writes++;
            if (!pending.remove(fd)) {
                return false;
            }
            answers.add(fd + (response == Fanotify.FAN_ALLOW ? " allow" : response == DENY_EIO ? " eio" : " ?"));
            return true;
        }
    }

    @Test
    void journaledEventsAreFilledThenAllowedAndUnjournaledOnesFailWithEio() throws Exception {
        PendingJournal journal = PendingJournal.create(dir.resolve("j"), 64);
        journal.record(7, BLOB, 0, 4096);
        journal.record(9, BLOB, 1 << 20, 4096);
        FakeGroup group = new FakeGroup();
        group.pending.addAll(List.of(7, 9, 11)); // 11: read, then the worker died before recording it
        List<Integer> filled = new ArrayList<>();

        FailoverRecovery.Report report = FailoverRecovery.run(journal, 64, group, (entry, done) -> {
            assertThat(group.answers).as("unjournaled numbers are probed before any fill is answered")
                    .startsWith("11 eio");
            filled.add(entry.fd());
            done.accept(0);
        }, Duration.ofSeconds(5));

        assertThat(filled).containsExactly(7, 9);
        assertThat(group.answers).containsExactly("11 eio", "7 allow", "9 allow");
        assertThat(group.pending).isEmpty();
        assertThat(group.writes).as("every number below the limit written once").isEqualTo(64);
        assertThat(journal.pending()).as("answered events leave the journal").isEmpty();
        assertThat(report).isEqualTo(new FailoverRecovery.Report(64, 1, 2, 0, 0, true));
    }

    @Test
    void aFillThatFailsGivesTheReaderEioNotZeros() throws Exception {
        PendingJournal journal = PendingJournal.create(dir.resolve("j"), 16);
        journal.record(3, BLOB, 0, 4096);
        FakeGroup group = new FakeGroup();
        group.pending.add(3);

        FailoverRecovery.Report report = FailoverRecovery.run(journal, 16, group, (entry, done) -> done.accept(5),
                Duration.ofSeconds(5));

        assertThat(group.answers).containsExactly("3 eio");
        assertThat(report.denied()).isEqualTo(1);
        assertThat(report.allowed()).isZero();
    }

    @Test
    void anEventAnsweredJustBeforeTheWorkerDiedIsNotAnsweredAgain() throws Exception {
        PendingJournal journal = PendingJournal.create(dir.resolve("j"), 16);
        journal.record(4, BLOB, 0, 4096); // answered, then killed before the slot was cleared
        FakeGroup group = new FakeGroup();

        FailoverRecovery.Report report = FailoverRecovery.run(journal, 16, group, (entry, done) -> done.accept(0),
                Duration.ofSeconds(5));

        assertThat(group.answers).isEmpty();
        assertThat(report.alreadyAnswered()).isEqualTo(1);
        assertThat(journal.pending()).isEmpty();
    }

    @Test
    void aFillThatNeverEndsIsReportedAndItsEntryKeptForTheNextWorker() throws Exception {
        PendingJournal journal = PendingJournal.create(dir.resolve("j"), 16);
        journal.record(6, BLOB, 0, 4096);
        FakeGroup group = new FakeGroup();
        group.pending.add(6);

        FailoverRecovery.Report report = FailoverRecovery.run(journal, 16, group, (entry, done) -> { },
                Duration.ofMillis(50));

        assertThat(report.complete()).isFalse();
        assertThat(group.pending).containsExactly(6);
        assertThat(journal.pending()).extracting(PendingJournal.Entry::fd).containsExactly(6);
    }
}
