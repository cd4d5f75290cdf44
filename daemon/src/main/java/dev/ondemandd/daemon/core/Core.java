package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The heart of ondemandd, shared by every frontend and knowing no kernel interface: it opens objects
 * (resolving their source and pinning its size), counts their references, schedules their READs fairly with
 * bounded concurrency on virtual threads, answers each READ exactly once within its deadline, and on
 * {@link #close()} stops taking work, answers everything and closes every target.
 *
 * <p>A frontend calls {@link #open}, keeps the {@link ObjectHandle} it gets, calls
 * {@link ObjectHandle#read} per READ and {@link ObjectHandle#close()} on CLOSE.
 */
public final class Core implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Core.class.getName());
    private static final int EIO = FetchException.EIO;
    private static final int EINVAL = FetchException.EINVAL;
    private static final long ADMISSION_RECHECK_MILLIS = 50;

    private final CoreSettings settings;
    private final SourceResolver resolver;
    private final CoreListener listener;
    private final ObjectTable table = new ObjectTable();
    private final Dispatcher dispatcher;
    private final BufferPool buffers;
    private final ScheduledThreadPoolExecutor timer;
    private final ReadDeadlines deadlines;
    private final ThreadFactory openThreads = NamedThreads.virtual("open");
    private final Set<PendingOpen> pendingOpens = ConcurrentHashMap.newKeySet();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicBoolean closing = new AtomicBoolean();
    /** A hand-over: what is not answered when the core closes stays with the kernel for a successor. */
    private volatile boolean handingOver;
    /** READs refused during a hand-over without an answer (the kernel keeps them). */
    private final AtomicLong readsLeft = new AtomicLong();
    /** Bytes of READs taken in and not answered yet, bounded by {@link FetchPolicy#maxBytesInFlight()}. */
    private final AtomicLong bytesInFlight = new AtomicLong();
    private final ReentrantLock admission = new ReentrantLock();
    private final Condition belowBound = admission.newCondition();
    private volatile int waitingSubmitters;

    public Core(CoreSettings settings, SourceResolver resolver, CoreListener listener) {
        this.settings = settings;
        this.resolver = resolver;
        this.listener = CoreListener.all(List.of(listener));
        this.dispatcher = new Dispatcher(this, settings.concurrency(), settings.fetch(), settings.bufferSize(),
                NamedThreads.virtual("fetch"));
        this.buffers = new BufferPool(settings.concurrency(), settings.bufferSize(), CoreSettings.PAGE_SIZE);
        this.timer = new ScheduledThreadPoolExecutor(1, NamedThreads.platform("deadline"));
        this.timer.setRemoveOnCancelPolicy(true);
        this.deadlines = new ReadDeadlines(timer, settings.readDeadline().toNanos());
    }

    public CoreSettings settings() {
        return settings;
    }

    /**
     * Opens the object {@code key} whose bytes go to {@code target}. The source is resolved on a virtual
     * thread; {@code reply} is answered exactly once, within the open deadline. From this call on the core
     * owns {@code target} and closes it exactly once: after a failed answer, or when the opened object's
     * last reference is released.
     */
    public void open(ObjectKey key, CacheTarget target, OpenReply reply) {
        open(key, target, reply, settings.fetch());
    }

    /**
     * {@link #open(ObjectKey, CacheTarget, OpenReply)} with the object's READs shaped by {@code policy} instead of
     * the core's: for a frontend that widens and reads ahead itself. Its {@code maxBytesInFlight} is the core's.
     */
    public void open(ObjectKey key, CacheTarget target, OpenReply reply, FetchPolicy policy) {
        PendingOpen pending = new PendingOpen(key, target, reply, policy);
        if (closing.get()) {
            refuse(pending);
            return;
        }
        pendingOpens.add(pending);
        try {
            if (closing.get()) {
                throw new RejectedExecutionException("shutting down");
            }
            pending.deadline = timer.schedule(pending::expire, settings.openDeadline().toNanos(),
                    TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // close() began meanwhile and may or may not have seen this OPEN; either way it is ours to end.
            pendingOpens.remove(pending);
            refuse(pending);
            return;
        }
        openThreads.newThread(pending).start();
    }

    void submit(CoreObject object, long offset, long length, ReadReply reply) {
        ReadTask task = new ReadTask(object, offset, length, reply, this);
        listener.onRead(object.key(), object.id(), offset, length);
        if (offset < 0 || length < 0) {
            task.answer(ReadOutcome.REJECTED, EINVAL);
            return;
        }
        if (closing.get() && handingOver) {
            leave(task, false);
            return;
        }
        if (closing.get() || object.isClosed() || !object.tryRetain()) {
            task.answer(ReadOutcome.REJECTED, EIO);
            return;
        }
        if (length == 0 || offset >= object.size()) {
            // Nothing of the object lies there: the kernel re-checks and decides.
            task.answer(ReadOutcome.FILLED, 0);
            object.release();
            return;
        }
        if (!admit(task.weight())) {
            refuse(task);
            return;
        }
        task.countIn();
        try {
            deadlines.arm(task);
        } catch (RejectedExecutionException e) {
            refuse(task);
            return;
        }
        switch (dispatcher.submit(task)) {
            case QUEUED, JOINED -> {
            }
            case WRITTEN -> task.answer(ReadOutcome.FILLED, 0);
            case REFUSED -> refuse(task);
        }
    }

    /** A READ holding its object's reference that the core will not run: EIO, or left to the kernel in a hand-over. */
    private void refuse(ReadTask task) {
        if (handingOver) {
            leave(task, true);
        } else {
            task.answer(ReadOutcome.REJECTED, EIO);
            task.object.release();
        }
    }

    /** Leaves {@code task} unanswered for a successor; drops the object reference it holds when {@code retained}. */
    private void leave(ReadTask task, boolean retained) {
        if (task.leave()) {
            readsLeft.incrementAndGet();
        }
        if (retained) {
            task.object.release();
        }
    }

    /** An OPEN the core will not resolve: EIO, or in a hand-over left to the kernel (it re-sends it to a successor). */
    private void refuse(PendingOpen pending) {
        if (!handingOver) {
            pending.fail(EIO, "shutting down");
            pending.closeTarget();
        }
        // In a hand-over the target (a cachefiles anon fd) stays open until the process exits: the kernel then
        // marks the object closed, and after restore hands the OPEN out again with a new fd.
    }

    /**
     * Waits while taking {@code weight} more bytes in would pass the bound on bytes in flight (a READ always
     * gets in when nothing else is in flight); false when the core began closing meanwhile. The caller is the
     * frontend's request loop: while it waits, the kernel holds the requests it has not read yet.
     */
    private boolean admit(long weight) {
        long bound = settings.fetch().maxBytesInFlight();
        if (fits(weight, bound)) {
            return true;
        }
        admission.lock();
        try {
            waitingSubmitters++;
            while (!fits(weight, bound) && !closing.get()) {
                // Timed: an answer between the check and the wait is noticed within the period at the latest.
                belowBound.await(ADMISSION_RECHECK_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waitingSubmitters--;
            admission.unlock();
        }
        return !closing.get();
    }

    private boolean fits(long weight, long bound) {
        long now = bytesInFlight.get();
        return now == 0 || now + weight <= bound;
    }

    /** READs of {@code delta} bytes were taken in (positive) or answered (negative). */
    void admitted(long delta) {
        bytesInFlight.addAndGet(delta);
        if (delta <= 0 && waitingSubmitters > 0) {
            admission.lock();
            try {
                belowBound.signalAll();
            } finally {
                admission.unlock();
            }
        }
    }

    /** Bytes of READs taken in and not answered yet. */
    public long bytesInFlight() {
        return bytesInFlight.get();
    }

    /** The core's load right now. */
    public CoreStats stats() {
        return new CoreStats(table.size(), table.bindings(), dispatcher.queued(), dispatcher.inFlight());
    }

    /** Whether {@link #close()} has begun. */
    public boolean isClosing() {
        return closing.get();
    }

    /**
     * What a hand-over left: READs and OPENs taken in and never answered (the kernel keeps them for a successor),
     * and whether every fetch that was running finished within the drain timeout.
     */
    public record HandOver(long readsLeft, int opensLeft, boolean fetchesFinished) {
    }

    /**
     * Shuts down for a successor that takes the kernel's fd over (an fd holder keeps it): no new OPEN or READ is
     * taken and nothing not yet answered is answered — queued READs, READs arriving now and unresolved OPENs stay
     * with the kernel, which hands them to the successor (cachefiles: {@code restore}; fanotify: the pending-event
     * journal). Deadlines stop, so no waiting READ is failed either. Fetches already running finish (they answer
     * the READs they carry), bounded by the drain timeout; no object is closed and no target either, so no fd a
     * fetch writes through is ever closed under it: they close with the process.
     */
    public HandOver handOver() {
        handingOver = true;
        if (!closing.compareAndSet(false, true)) {
            return new HandOver(readsLeft.get(), 0, dispatcher.inFlight() == 0);
        }
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        timer.shutdownNow(); // no deadline answers EIO from now on: what is unanswered stays the kernel's
        admitted(0); // wakes submitters waiting for room: they see the hand-over and leave their READ
        for (ReadTask task : dispatcher.shutdown()) {
            leave(task, true);
        }
        boolean idle = false;
        try {
            idle = dispatcher.awaitIdle(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        int opens = 0;
        for (PendingOpen pending : pendingOpens) {
            if (!pending.answered.get()) {
                opens++;
            }
        }
        if (!idle) {
            LOG.log(Level.WARNING, "hand-over: fetches still running after " + settings.drainTimeout() + " (" + stats()
                    + "); their READs are left for the successor too");
        }
        return new HandOver(readsLeft.get() + dispatcher.inFlight(), opens, idle);
    }

    /**
     * Shuts down: no new OPEN or READ is taken (they fail with EIO), queued READs and pending OPENs are
     * answered EIO at once, running READs finish or hit their deadline, every object is released as if
     * CLOSEd and its target closed once its last READ is done. Waits at most the drain timeout; an object a
     * stuck fetch still holds is left open (closing its target under a write would be worse) and logged.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        admitted(0); // wakes submitters waiting for room: they see the core closing
        for (PendingOpen pending : pendingOpens) {
            pending.fail(EIO, "shutting down");
        }
        for (ReadTask task : dispatcher.shutdown()) {
            task.answer(ReadOutcome.REJECTED, EIO);
            task.object.release();
        }
        for (CoreObject object : table.objects()) {
            object.closeQuietly();
        }
        try {
            if (!dispatcher.awaitIdle(deadline) || !table.awaitEmpty(deadline)) {
                LOG.log(Level.WARNING, "shutdown: gave up waiting after " + settings.drainTimeout() + "; "
                        + stats() + " still held by fetches that did not return");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            timer.shutdownNow();
        }
    }

    CoreListener listener() {
        return listener;
    }

    ObjectTable table() {
        return table;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    ReadDeadlines deadlines() {
        return deadlines;
    }

    BufferPool buffers() {
        return buffers;
    }

    /** An OPEN being resolved; answered once, by the resolving thread or the deadline. */
    private final class PendingOpen implements Runnable {
        private final ObjectKey key;
        private final CacheTarget target;
        private final OpenReply reply;
        private final FetchPolicy policy;
        private final long started = System.nanoTime();
        private final AtomicBoolean answered = new AtomicBoolean();
        private volatile java.util.concurrent.ScheduledFuture<?> deadline;
        private volatile Thread runner;

        PendingOpen(ObjectKey key, CacheTarget target, OpenReply reply, FetchPolicy policy) {
            this.policy = policy;
            this.key = key;
            this.target = target;
            this.reply = reply;
        }

        private String describe() {
            return LogIds.of(target, LogIds.NO_ID, key);
        }

        @Override
        public void run() {
            runner = Thread.currentThread();
            Binding binding = table.acquire(key);
            CoreObject object = null;
            try {
                Blob blob = binding.blob(resolver);
                object = new CoreObject(nextId.incrementAndGet(), binding, blob, target, Core.this, policy);
                table.add(object);
                if (!answered.compareAndSet(false, true)) {
                    // The deadline or shutdown answered first: this object was never handed out.
                    object.closeQuietly();
                    return;
                }
                cancelDeadline();
                listener.onOpen(key, object.id(), blob.size(), System.nanoTime() - started);
                try {
                    reply.opened(object);
                    dispatcher.prefetch(object);
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "answering OPEN of " + describe() + " threw; releasing it", e);
                    object.closeQuietly();
                }
            } catch (FetchException e) {
                if (fail(e.errno(), e.getMessage())) {
                    LOG.log(Level.WARNING, "OPEN " + describe() + " failed (errno " + e.errno() + "): " + e.getMessage());
                }
                release(object, binding);
            } catch (RuntimeException | Error e) {
                LOG.log(Level.ERROR, "OPEN " + describe() + " failed unexpectedly", e);
                fail(EIO, e.toString());
                release(object, binding);
            } finally {
                runner = null;
                Thread.interrupted();
                pendingOpens.remove(this);
            }
        }

        private void release(CoreObject object, Binding binding) {
            if (object == null) {
                table.release(binding);
                closeTarget();
            } else {
                object.closeQuietly();
            }
        }

        void expire() {
            if (fail(EIO, "deadline passed")) {
                LOG.log(Level.WARNING, "OPEN " + describe() + " passed its deadline of " + settings.openDeadline()
                        + "; answered EIO");
                Thread thread = runner;
                if (thread != null) {
                    thread.interrupt();
                }
            }
        }

        /** Answers failed unless already answered; the target is closed by whoever finishes the OPEN. */
        boolean fail(int errno, String why) {
            if (!answered.compareAndSet(false, true)) {
                return false;
            }
            cancelDeadline();
            listener.onOpenFailed(key, errno, System.nanoTime() - started);
            try {
                reply.failed(errno);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "answering OPEN of " + describe() + " (" + why + ") threw", e);
            }
            return true;
        }

        private void cancelDeadline() {
            var timeout = deadline;
            if (timeout != null) {
                timeout.cancel(false);
            }
        }

        void closeTarget() {
            try {
                target.close();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "closing the target of failed OPEN " + describe() + " failed: " + e);
            }
        }
    }
}
