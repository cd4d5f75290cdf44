package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.protocol.fanotify.Fanotify;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Answers what a killed worker left pending on a fanotify group handed back by the fd holder, before this
 * worker reads a single event of its own (so no new event can get a number that is still pending):
 * <ol>
 * <li>every fd number below the journal's fd limit that the journal does not list is answered
 * FAN_DENY_ERRNO(EIO) if an event is pending under it — the worker died between read(2) and recording it, so its
 * range is unknown: the reader gets an error, never zeros, never a hang (a number with nothing pending costs one
 * write(2) that fails with ENOENT);</li>
 * <li>every journaled event has its range filled from the source and is answered FAN_ALLOW under its old
 * number, or FAN_DENY_ERRNO(EIO) when the fill fails; its slot is cleared after the answer.</li>
 * </ol>
 * A worker killed during recovery leaves the journal as it found it, minus what it answered: the next one
 * starts over.
 */
final class FailoverRecovery {
    private static final System.Logger LOG = System.getLogger(FailoverRecovery.class.getName());
    static final int EIO = 5;

    /** Writes a response under an fd number this process does not own. */
    @FunctionalInterface
    interface Responder {
        /** @return true when an event was pending under {@code fd} and got the response; false when none was */
        boolean answer(int fd, int response) throws IOException;
    }

    /** Fills the range of a journaled event and calls {@code done} with 0 or the errno, once. */
    @FunctionalInterface
    interface Filler {
        void fill(PendingJournal.Entry entry, IntConsumer done);
    }

    /** What recovery did: numbers probed, events denied for want of a record, journaled events allowed or denied. */
    record Report(int probed, int unrecordedDenied, int allowed, int denied, int alreadyAnswered, boolean complete) {
        int answered() {
            return unrecordedDenied + allowed + denied;
        }
    }

    private FailoverRecovery() {
    }

    /**
     * @param probeLimit every fd number below it that the journal does not list is probed
     * @param wait how long to wait for the fills (the core's read deadline bounds each one)
     */
    static Report run(PendingJournal journal, int probeLimit, Responder responder, Filler filler, Duration wait)
            throws IOException, InterruptedException {
        List<PendingJournal.Entry> entries = journal.pending();
        BitSet journaled = new BitSet();
        for (PendingJournal.Entry e : entries) {
            journaled.set(e.fd());
        }
        int deny = Fanotify.denyErrno(EIO);
        int unrecorded = 0;
        for (int fd = 0; fd < probeLimit; fd++) {
            if (!journaled.get(fd) && responder.answer(fd, deny)) {
                unrecorded++;
                LOG.log(Level.WARNING, "failover: event fd " + fd + " was pending but not journaled (the worker died"
                        + " before recording it): answered EIO");
            }
        }
        AtomicInteger allowed = new AtomicInteger();
        AtomicInteger denied = new AtomicInteger();
        AtomicInteger gone = new AtomicInteger();
        CountDownLatch filled = new CountDownLatch(entries.size());
        for (PendingJournal.Entry e : entries) {
            filler.fill(e, errno -> {
                try {
                    boolean pending = responder.answer(e.fd(), errno == 0 ? Fanotify.FAN_ALLOW : deny);
                    if (!pending) {
                        gone.incrementAndGet(); // answered before the worker died, or the reader was killed
                    } else if (errno == 0) {
                        allowed.incrementAndGet();
                    } else {
                        denied.incrementAndGet();
                        LOG.log(Level.WARNING, "failover: filling the range of pending event fd " + e.fd()
                                + " failed (errno " + errno + "): answered EIO");
                    }
                    journal.clear(e.fd());
                } catch (IOException | RuntimeException x) {
                    LOG.log(Level.ERROR, "failover: answering pending event fd " + e.fd() + " failed: " + x);
                } finally {
                    filled.countDown();
                }
            });
        }
        boolean complete = filled.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        return new Report(probeLimit, unrecorded, allowed.get(), denied.get(), gone.get(), complete);
    }
}
