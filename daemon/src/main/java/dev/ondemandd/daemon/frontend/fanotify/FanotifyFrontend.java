package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.protocol.fanotify.Fanotify;
import dev.ondemandd.protocol.fanotify.FanotifyEvent;
import dev.ondemandd.protocol.fanotify.FanotifyEventDecoder;
import dev.ondemandd.protocol.fanotify.FanotifyRange;
import dev.ondemandd.protocol.fanotify.MalformedEventException;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import dev.ondemandd.protocol.nativeio.FileId;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.IntConsumer;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The fanotify pre-content frontend: one platform thread reads the group's events; each event's range is
 * mapped to fill units of the blob the event's file is, holes are handed to the core, and the event is
 * answered FAN_ALLOW once its units are filled or FAN_DENY_ERRNO(EIO) when one fails. Every event fd is closed
 * exactly once, right after its answer. Events on files the daemon does not serve are denied with EIO: a
 * reader must never see the zeros of a hole as data.
 */
public final class FanotifyFrontend implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FanotifyFrontend.class.getName());
    private static final int EIO = 5;
    /** Room for many events per read(); the kernel never splits one. */
    private static final int EVENT_BUFFER_SIZE = 64 * 1024;
    private static final int POLL_MILLIS = 200;

    private final FanotifyGroup group;
    private final int fillAhead;
    /** Set before {@link #start()}; written by the event loop, cleared by whoever answers. */
    private volatile PendingJournal journal = PendingJournal.disabled();
    private boolean journalFullLogged;
    private volatile SparseBlob[] blobs = new SparseBlob[0];
    private final AtomicBoolean running = new AtomicBoolean();
    private final ByteBuffer events = ByteBuffer.allocateDirect(EVENT_BUFFER_SIZE);
    private final FanotifyEventDecoder.Sink sink = new FanotifyEventDecoder.Sink() {
        @Override
        public void event(FanotifyEvent event) {
            handle(event);
        }

        @Override
        public void malformed(MalformedEventException error) {
            malformedEvent(error);
        }
    };
    private Thread loop;

    private final LongAdder eventCount = new LongAdder();
    private final LongAdder allowed = new LongAdder();
    private final LongAdder denied = new LongAdder();
    private final LongAdder alreadyFilled = new LongAdder();
    private final LongAdder unknownFile = new LongAdder();
    private final LongAdder noRange = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder unitFills = new LongAdder();
    private final LongAdder bytesRequested = new LongAdder();
    private final LongAdder eventFdsRefused = new LongAdder();
    /** Whether the last read() failed for want of an fd (event loop only): one log line per episode. */
    private boolean outOfFds;
    /** When the last such line was logged (event loop only): at most one a minute while fds come and go. */
    private long outOfFdsLoggedAt;
    /** Whether the episode's ERROR line was logged and no INFO line answered it yet (event loop only). */
    private boolean outOfFdsReported;
    private static final long OUT_OF_FDS_REPEAT_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    /**
     * @param fillAhead the most units past a sequentially read one filled before they are asked for (the window
     *     starts at one and doubles per sequential event)
     */
    public FanotifyFrontend(FanotifyGroup group, int fillAhead) {
        if (fillAhead < 0) {
            throw new IllegalArgumentException("fillAhead must not be negative");
        }
        this.group = group;
        this.fillAhead = fillAhead;
    }

    /** Serves {@code blob} from now on (its events may already be queued). */
    synchronized void add(SparseBlob blob) {
        SparseBlob[] next = Arrays.copyOf(blobs, blobs.length + 1);
        next[blobs.length] = blob;
        blobs = next;
    }

    /** Stops serving {@code blob}; its later events are denied. */
    synchronized void remove(SparseBlob blob) {
        blobs = Arrays.stream(blobs).filter(b -> b != blob).toArray(SparseBlob[]::new);
    }

    /** Journals every event read until it is answered, for a successor if this worker dies. Before start. */
    void journal(PendingJournal pending) {
        this.journal = pending;
    }

    /**
     * Answers what a killed predecessor left pending ({@link FailoverRecovery}); call before {@link #start()}, with
     * the blobs added, so that no event of this worker's can take a number that is still pending.
     */
    FailoverRecovery.Report recover(int probeLimit, java.time.Duration wait) throws IOException, InterruptedException {
        return FailoverRecovery.run(journal, probeLimit, group::answerIfPending, this::fillStale, wait);
    }

    private void fillStale(PendingJournal.Entry entry, IntConsumer done) {
        SparseBlob blob = entry.file() == null ? null : find(entry.file());
        if (blob == null) {
            done.accept(EIO);
        } else if (!entry.hasRange()) {
            done.accept(blob.isComplete() ? 0 : EIO);
        } else {
            try {
                serve(blob, -1, new FanotifyRange(entry.offset(), entry.count()), done);
            } catch (IllegalArgumentException e) {
                done.accept(EIO);
            }
        }
    }

    /** Starts the event loop thread. */
    public synchronized void start() {
        if (!running.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        loop = new Thread(this::run, "fanotify-events");
        loop.setDaemon(true);
        loop.start();
    }

    public FanotifyStats stats() {
        return new FanotifyStats(eventCount.sum(), allowed.sum(), denied.sum(), alreadyFilled.sum(),
                unknownFile.sum(), noRange.sum(), malformed.sum(), unitFills.sum(), bytesRequested.sum());
    }

    private void run() {
        while (running.get()) {
            try {
                if (!group.await(POLL_MILLIS)) {
                    continue;
                }
                events.clear();
                if (group.read(events) <= 0) {
                    continue;
                }
                outOfFds = false;
                if (outOfFdsReported) {
                    outOfFdsReported = false;
                    LOG.log(Level.INFO, "fanotify events get fds again; " + eventFdsRefused.sum()
                            + " events were refused for want of one so far");
                }
                events.flip();
                FanotifyEventDecoder.decode(events, sink);
            } catch (IOException e) {
                if (e instanceof ErrnoException en && (en.errno() == Errno.EMFILE || en.errno() == Errno.ENFILE)) {
                    eventFdRefused(en);
                    continue;
                }
                if (!running.get()) {
                    break;
                }
                LOG.log(Level.ERROR, "reading fanotify events failed: " + e.getMessage() + "; retrying");
                sleepQuietly();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "fanotify event loop error; continuing", e);
            }
        }
    }

    /**
     * read() could not install the fd of the next event (fanotify_read → copy_event_to_user → create_fd): the kernel
     * has already answered that permission event FAN_DENY itself, so its reader got EPERM at once, and the event is
     * gone. Nothing waits on the daemon; the next read() goes on with the events after it. One ERROR line per
     * episode (at most one a minute: fds that come and go would flap), every refusal counted.
     */
    private void eventFdRefused(ErrnoException e) {
        eventFdsRefused.increment();
        if (outOfFds) {
            return;
        }
        outOfFds = true;
        long now = System.nanoTime();
        if (outOfFdsLoggedAt == 0 || now - outOfFdsLoggedAt >= OUT_OF_FDS_REPEAT_NANOS) {
            outOfFdsLoggedAt = now;
            outOfFdsReported = true;
            LOG.log(Level.ERROR, "fanotify: no fd for an event (" + Errno.name(e.errno()) + "): the kernel denied it"
                    + " (FAN_DENY), so the read that raised it failed (EIO through EROFS); further ones are counted,"
                    + " not logged. Raise LimitNOFILE (RLIMIT_NOFILE) or the system's fs.file-max");
        }
    }

    /** Events the kernel denied because this process could not take their fd (EMFILE/ENFILE). */
    public long eventFdsRefused() {
        return eventFdsRefused.sum();
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void malformedEvent(MalformedEventException error) {
        malformed.increment();
        LOG.log(Level.WARNING, "malformed fanotify event (fd " + error.fd() + "): " + error.getMessage());
        if (error.fd() >= 0) {
            answer(error.fd(), Fanotify.denyErrno(EIO));
        }
    }

    private void handle(FanotifyEvent event) {
        if (!event.hasFd()) {
            if ((event.mask() & Fanotify.FAN_Q_OVERFLOW) != 0) {
                LOG.log(Level.WARNING, "fanotify queue overflowed");
            }
            return;
        }
        eventCount.increment();
        int fd = event.fd();
        SparseBlob blob;
        try {
            FileId file = FileId.of(fd);
            FanotifyRange range = event.range().orElse(null);
            if (!journal.record(fd, file, range == null ? 0 : range.offset(),
                    range == null ? PendingJournal.NO_RANGE : range.count()) && !journalFullLogged) {
                journalFullLogged = true;
                LOG.log(Level.WARNING, "fanotify event fd " + fd + " is beyond the failover journal; events with such"
                        + " fds get EIO if this worker dies before answering them (logged once)");
            }
            blob = find(file);
            if (blob != null) {
                blob.adoptWriter(fd);
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "fanotify event fd " + fd + ": " + e.getMessage() + "; denied EIO");
            answer(fd, Fanotify.denyErrno(EIO));
            return;
        }
        if (blob == null || !event.isPreAccess()) {
            unknownFile.increment();
            LOG.log(Level.WARNING, "fanotify event (mask 0x" + Long.toHexString(event.mask()) + ") on a file not served"
                    + " (pid " + event.pid() + "); denied EIO");
            answer(fd, Fanotify.denyErrno(EIO));
            return;
        }
        if (event.range().isEmpty()) {
            noRange.increment();
            answer(fd, blob.isComplete() ? Fanotify.FAN_ALLOW : Fanotify.denyErrno(EIO));
            return;
        }
        serve(blob, fd, event.range().get(), null);
    }

    private SparseBlob find(FileId id) {
        for (SparseBlob b : blobs) {
            if (b.id().equals(id)) {
                return b;
            }
        }
        return null;
    }

    /**
     * Fills the units {@code range} touches, then answers {@code fd} — or, for an event a predecessor left
     * pending ({@code stale} not null), tells {@code stale} the errno instead.
     */
    private void serve(SparseBlob blob, int fd, FanotifyRange range, IntConsumer stale) {
        long end = Math.min(range.end(), blob.size());
        if (range.count() == 0 || range.offset() >= end) {
            alreadyFilled.increment();
            if (stale != null) {
                stale.accept(0);
            } else {
                answer(fd, Fanotify.FAN_ALLOW);
            }
            return;
        }
        int first = (int) (range.offset() / blob.unitSize());
        int last = (int) ((end - 1) / blob.unitSize());
        PendingEvent pending = new PendingEvent(fd, stale);
        int waiting = 0;
        for (int u = first; u <= last; u++) {
            SparseBlob.Claim claim = blob.claim(u, pending);
            if (claim == SparseBlob.Claim.STARTED) {
                startFill(blob, u);
            }
            if (claim != SparseBlob.Claim.FILLED) {
                waiting++;
            }
        }
        if (blob.fillAhead > 0 || (blob.fillAhead < 0 && fillAhead > 0)) {
            fillAhead(blob, first, last);
        }
        if (waiting == 0) {
            alreadyFilled.increment();
        }
        pending.arm(waiting);
    }

    /**
     * A sequential reader gets the units after its range filled before the kernel asks for them, so its reads
     * find them filled and are answered at once instead of each waiting out a fetch. The window adapts: one unit
     * when a reader turns sequential (the unit before its range is filled or being filled), doubling with each
     * sequential event up to {@code fillAhead} units, and none for a reader jumping around. Each unit is claimed
     * once: the blob remembers how far ahead filling was started.
     */
    private void fillAhead(SparseBlob blob, int first, int last) {
        int fillAhead = blob.fillAhead >= 0 ? blob.fillAhead : this.fillAhead;
        if (first > 0 && blob.isIdle(first - 1)) {
            blob.aheadWindow = 0; // not sequential: no read-ahead, and the next sequential run starts small
            return;
        }
        int window = blob.aheadWindow == 0 ? 1 : Math.min(fillAhead, blob.aheadWindow * 2);
        blob.aheadWindow = window;
        int mark = blob.aheadMark;
        if (last + fillAhead < mark) {
            mark = last; // the reader went back: follow it from here
        }
        int from = Math.max(last, mark) + 1;
        int to = Math.min(blob.units() - 1, last + window);
        if (from > to) {
            return;
        }
        for (int u = from; u <= to; u++) {
            if (blob.claim(u, null) == SparseBlob.Claim.STARTED) {
                startFill(blob, u);
            }
        }
        blob.aheadMark = to;
    }

    private void startFill(SparseBlob blob, int unit) {
        unitFills.increment();
        bytesRequested.add(blob.fill(unit));
    }

    private void answer(int fd, int response) {
        try {
            group.respond(fd, response);
            if (response == Fanotify.FAN_ALLOW) {
                allowed.increment();
            } else {
                denied.increment();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "answering fanotify event fd " + fd + " failed: " + e.getMessage());
        } finally {
            // after the response, before the number can be reused: a successor never answers a stranger
            journal.clear(fd);
            try {
                Posix.close(fd);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "closing fanotify event fd " + fd + " failed: " + e.getMessage());
            }
        }
    }

    /** Stops reading events after the ones at hand, without waiting for the loop to end. */
    void requestStop() {
        running.set(false);
    }

    /** Events read and not answered yet, as the journal holds them (0 without a journal). */
    int journaled() {
        return journal.pending().size();
    }

    /** Stops the loop thread; the group stays open (its owner closes it after unmounting). */
    @Override
    public void close() {
        running.set(false);
        Thread t;
        synchronized (this) {
            t = loop;
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(POLL_MILLIS * 5L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** An event waiting for its units; answered once, when the last one ends. */
    private final class PendingEvent implements SparseBlob.Waiter {
        private final int fd;
        private final IntConsumer stale;
        /** Units still to end, plus one held until {@link #arm} knows how many there are. */
        private final AtomicInteger remaining = new AtomicInteger(Integer.MAX_VALUE);
        private volatile int errno;

        PendingEvent(int fd, IntConsumer stale) {
            this.fd = fd;
            this.stale = stale;
        }

        void arm(int units) {
            // Units may already have ended; they counted down from MAX_VALUE.
            if (remaining.addAndGet(units - Integer.MAX_VALUE) == 0) {
                complete();
            }
        }

        @Override
        public void unitDone(int error) {
            if (error != 0) {
                errno = error;
            }
            if (remaining.decrementAndGet() == 0) {
                complete();
            }
        }

        private void complete() {
            if (stale != null) {
                stale.accept(errno);
                return;
            }
            // Whatever the source said, the reader sees EIO: a read(2) failing with ENOENT would mislead.
            answer(fd, errno == 0 ? Fanotify.FAN_ALLOW : Fanotify.denyErrno(EIO));
        }
    }
}
