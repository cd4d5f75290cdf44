package dev.ondemandd.daemon.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns READs into fetches and hands them to fetch threads fairly: each object has a FIFO queue, and objects
 * with queued READs wait in a ring. A free slot goes to the READ at the head of the ring's first object, which
 * then moves to the ring's tail — so an object with a thousand queued READs gets one fetch per turn, like every
 * other object. At most {@code concurrency} fetches run at once.
 *
 * <p>The fetch a READ starts covers its pages widened to whole units of the {@link FetchPolicy} (clamped to the
 * object's end) plus a read-ahead window when the object is read sequentially; queued READs of the same object
 * that it covers ride along, and a READ that arrives while a fetch covering its pages is in flight waits for
 * that fetch instead of queueing (merging). Slots no READ waits for may prefetch opened objects, unit by unit,
 * in at most {@link FetchPolicy#prefetchConcurrency()} of them and never the last free one: demand READs come
 * first, prefetch last (OPENs never wait for a slot at all).
 *
 * <p>Fetches run on at most {@code concurrency} fetch threads, started as needed and then kept: a thread whose
 * fetch finished takes the next one itself while there is any (no thread start, no hand-off: the hot path under
 * load), and otherwise waits idle until one is handed to it. A fetch of at most one buffer from a blob in memory
 * that would start at once anyway (a slot free, nothing else queued) runs on the submitting thread instead: a
 * hand-off to a fetch thread and back costs more than copying the bytes.
 */
final class Dispatcher {

    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    /** How many queued READs of an object a new fetch looks through for ones it covers. */
    private static final int MERGE_SCAN = 64;

    /** What became of a submitted READ. */
    enum Admission {
        /** Waits in its object's queue for a slot. */
        QUEUED,
        /** Rides on a fetch in flight. */
        JOINED,
        /** A fetch in flight already wrote its pages: the caller answers it FILLED. */
        WRITTEN,
        /** The dispatcher shut down: the caller answers it. */
        REFUSED
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<CoreObject> ring = new ArrayDeque<>();
    /** Opened objects that still have units to prefetch. */
    private final ArrayDeque<CoreObject> prefetchRing = new ArrayDeque<>();
    /** Fetch threads waiting for work, most recently idle first (its stack and caches are warmest). */
    private final ArrayDeque<Worker> idleWorkers = new ArrayDeque<>();
    private final Core core;
    private final int concurrency;
    /** Slots prefetch may hold at once (the core's policy): never all, so a demand READ always finds one. */
    private final int prefetchSlots;
    private final ThreadFactory threads;
    /** The largest fetch run on the submitting thread (one buffer). */
    private final int inlineBytes;
    private int running;
    private int runningPrefetch;
    private int queued;
    /** READs taken from their queue and not yet answered (a running fetch may outlive its READs' answers). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private boolean shutdown;

    Dispatcher(Core core, int concurrency, FetchPolicy policy, int inlineBytes, ThreadFactory threads) {
        this.core = core;
        this.inlineBytes = inlineBytes;
        this.concurrency = concurrency;
        this.prefetchSlots = Math.min(policy.prefetchConcurrency(), concurrency - 1);
        this.threads = threads;
    }

    /** Takes {@code task} in: joins a fetch in flight that covers it, or queues it on its object. */
    Admission submit(ReadTask task) {
        Fetch here;
        lock.lock();
        try {
            if (shutdown) {
                return Admission.REFUSED;
            }
            CoreObject object = task.object;
            object.noteRead(task.start, task.end);
            if (object.policy().merge()) {
                for (Fetch fetch : object.inflight) {
                    if (fetch.covers(task.start, task.end) && fetch.joinable()) {
                        if (!task.markStarted(fetch)) {
                            dropAnswered(task); // answered meanwhile (shutdown, deadline): nothing to carry
                            return Admission.JOINED;
                        }
                        inFlight.incrementAndGet();
                        return fetch.attach(task) ? Admission.JOINED : Admission.WRITTEN;
                    }
                }
            }
            object.queue.addLast(task);
            queued++;
            if (!object.inRing) {
                object.inRing = true;
                ring.addLast(object);
            }
            here = queued == 1 && running < concurrency && object.blob().inMemory() ? nextDemand() : null;
            if (here != null && here.to - here.from > inlineBytes) {
                start(here);
                here = null;
            }
            pump();
        } finally {
            lock.unlock();
        }
        if (here != null) {
            runHere(here);
        }
        return Admission.QUEUED;
    }

    /** Runs {@code fetch} on this (the submitting) thread, then gives its slot back. */
    private void runHere(Fetch fetch) {
        boolean interrupted = Thread.interrupted();
        try {
            fetch.run();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "a fetch on the submitting thread failed unexpectedly", e);
        } finally {
            // An interrupt meant for the fetch (its READs expired) must not reach the frontend's loop.
            Thread.interrupted();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        lock.lock();
        try {
            slotFreed(fetch);
            if (!shutdown) {
                pump();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lets idle slots prefetch {@code object}, unit by unit from its start, when prefetch is on for it. */
    void prefetch(CoreObject object) {
        if (prefetchSlots <= 0 || object.policy().prefetchConcurrency() <= 0) {
            return;
        }
        lock.lock();
        try {
            if (shutdown || object.inPrefetchRing) {
                return;
            }
            object.startPrefetch();
            object.inPrefetchRing = true;
            prefetchRing.addLast(object);
            pump();
        } finally {
            lock.unlock();
        }
    }

    /** Starts fetches while slots are free. Under the lock. */
    private void pump() {
        while (running < concurrency) {
            Fetch fetch = take();
            if (fetch == null) {
                return;
            }
            start(fetch);
        }
    }

    /** Hands a fetch counted running to an idle fetch thread, or a new one. Under the lock. */
    private void start(Fetch fetch) {
        Worker worker = idleWorkers.pollFirst();
        if (worker != null) {
            worker.handed = fetch;
            worker.wake.signal();
        } else {
            threads.newThread(new Worker(fetch)).start();
        }
    }

    /** A fetch finished: its slot is free. Under the lock. */
    private void slotFreed(Fetch done) {
        running--;
        if (done.prefetch) {
            runningPrefetch--;
        }
        if (running == 0) {
            idle.signalAll();
        }
    }

    /** The next fetch to run, counted running: a demand READ's if any is queued, else a prefetch. Under the lock. */
    private Fetch take() {
        while (!ring.isEmpty()) {
            Fetch fetch = nextDemand();
            if (fetch != null) {
                return fetch;
            }
        }
        while (runningPrefetch < prefetchSlots && !prefetchRing.isEmpty()) {
            Fetch fetch = nextPrefetch();
            if (fetch != null) {
                return fetch;
            }
        }
        return null;
    }

    /** The fetch for the READ whose turn it is, carrying the queued READs it covers. Under the lock. */
    private Fetch nextDemand() {
        CoreObject object = ring.pollFirst();
        ReadTask task = object.queue.pollFirst();
        queued--;
        Fetch fetch = null;
        if (task.isAnswered()) {
            dropAnswered(task);
        } else {
            object.retain(); // the fetch's own; the READ's keeps the count above zero meanwhile
            fetch = new Fetch(object, fetchStart(object, task), fetchEnd(object, task), false, core);
            object.noteFetch(fetch.to);
            if (task.markStarted(fetch) && fetch.attach(task)) {
                inFlight.incrementAndGet();
            } else {
                dropAnswered(task);
            }
            if (object.policy().merge()) {
                absorb(object, fetch);
            }
            object.inflight.add(fetch);
            running++;
        }
        if (object.queue.isEmpty()) {
            object.inRing = false;
        } else {
            ring.addLast(object);
        }
        return fetch;
    }

    /** A READ answered (by its deadline) before it started: the reference it held is dropped here. */
    private static void dropAnswered(ReadTask task) {
        task.object.release();
    }

    /** Moves queued READs of {@code fetch}'s object that it covers onto it. Under the lock. */
    private void absorb(CoreObject object, Fetch fetch) {
        int scanned = 0;
        for (Iterator<ReadTask> it = object.queue.iterator(); it.hasNext() && scanned < MERGE_SCAN; scanned++) {
            ReadTask t = it.next();
            if (!fetch.covers(t.start, t.end)) {
                continue;
            }
            it.remove();
            queued--;
            if (t.markStarted(fetch) && fetch.attach(t)) {
                inFlight.incrementAndGet();
            } else {
                dropAnswered(t);
            }
        }
    }

    /**
     * Where a READ's fetch starts: its pages widened down to a unit, but not back into a fetch in flight that
     * already covers that part. Under the lock.
     */
    private long fetchStart(CoreObject object, ReadTask task) {
        long from = object.policy().alignDown(task.start);
        for (Fetch f : object.inflight) {
            if (f.from <= from && f.to > from && f.to <= task.start) {
                from = f.to;
            }
        }
        return from;
    }

    /**
     * Where a READ's fetch ends: its pages widened up to a unit, plus the object's read-ahead window, never past
     * the object's end nor into a fetch in flight after it. Under the lock.
     */
    private long fetchEnd(CoreObject object, ReadTask task) {
        long size = object.size();
        FetchPolicy policy = object.policy();
        long to = Math.min(size, policy.alignUp(task.end) + object.readaheadWindow(policy));
        for (Fetch f : object.inflight) {
            if (f.from >= task.end && f.from < to) {
                to = f.from;
            }
        }
        return Math.max(to, task.end);
    }

    /** The next unit of an object being prefetched that nothing fetched or is fetching. Under the lock. */
    private Fetch nextPrefetch() {
        CoreObject object = prefetchRing.pollFirst();
        int unit = object.policy().unit();
        long from = object.isClosed() ? -1 : object.nextPrefetchUnit(unit);
        if (from < 0 || !object.tryRetain()) {
            object.inPrefetchRing = false;
            return null;
        }
        long to = Math.min(object.size(), from + unit);
        prefetchRing.addLast(object);
        Fetch fetch = new Fetch(object, from, to, true, core);
        object.inflight.add(fetch);
        running++;
        runningPrefetch++;
        return fetch;
    }

    /** {@code fetch} ended (its slot is given back by {@link #finished}): it no longer covers anything. */
    void fetchEnded(Fetch fetch, boolean complete) {
        lock.lock();
        try {
            fetch.object.inflight.remove(fetch);
            if (complete) {
                fetch.object.fetched(fetch.from, fetch.to, fetch.object.policy().unit());
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@code worker}'s fetch finished: its slot goes to the next fetch, which the same worker runs; with none,
     * the worker waits until one is handed to it. Null once the dispatcher shut down: the worker ends.
     */
    private Fetch finished(Worker worker, Fetch done) {
        lock.lock();
        try {
            slotFreed(done);
            if (!shutdown && running < concurrency) {
                Fetch next = take();
                if (next != null) {
                    return next;
                }
            }
            idleWorkers.addFirst(worker);
            while (worker.handed == null && !shutdown) {
                worker.wake.awaitUninterruptibly();
            }
            Fetch fetch = worker.handed;
            worker.handed = null;
            if (fetch == null) {
                idleWorkers.remove(worker);
            }
            return fetch;
        } finally {
            lock.unlock();
        }
    }

    /** A fetch thread: runs the fetch it was started with, then every fetch {@link #finished} gives it. */
    private final class Worker implements Runnable {
        private final Fetch first;
        private final Condition wake = lock.newCondition();
        /** A fetch handed to this worker while it was idle; guarded by the lock. */
        private Fetch handed;

        Worker(Fetch first) {
            this.first = first;
        }

        @Override
        public void run() {
            for (Fetch fetch = first; fetch != null; fetch = finished(this, fetch)) {
                // An interrupt meant for the previous fetch must not fail this one.
                Thread.interrupted();
                try {
                    fetch.run();
                } catch (RuntimeException | Error e) {
                    // Fetch answers its own failures; whatever escapes must not take the slot with it.
                    LOG.log(System.Logger.Level.ERROR, "a fetch thread failed unexpectedly", e);
                }
            }
        }
    }

    /** Takes a READ out of its queue if it is still waiting there; true when it was (it never runs then). */
    boolean removeQueued(ReadTask task) {
        lock.lock();
        try {
            CoreObject object = task.object;
            if (!object.queue.remove(task)) {
                return false;
            }
            queued--;
            if (object.queue.isEmpty() && object.inRing) {
                object.inRing = false;
                ring.remove(object);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Stops taking READs and returns every queued one, no longer queued, for the caller to answer. */
    List<ReadTask> shutdown() {
        lock.lock();
        try {
            shutdown = true;
            for (Worker worker : idleWorkers) {
                worker.wake.signal();
            }
            List<ReadTask> drained = new ArrayList<>(queued);
            for (CoreObject object : ring) {
                drained.addAll(object.queue);
                object.queue.clear();
                object.inRing = false;
            }
            ring.clear();
            for (CoreObject object : prefetchRing) {
                object.inPrefetchRing = false;
            }
            prefetchRing.clear();
            queued = 0;
            return drained;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no fetch is running or the deadline (System.nanoTime()) passes. */
    boolean awaitIdle(long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (running > 0) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                idle.await(left, TimeUnit.NANOSECONDS);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** A started READ was answered. */
    void answered() {
        inFlight.decrementAndGet();
    }

    /** READs taken from their queue and not yet answered. */
    int inFlight() {
        return Math.max(0, inFlight.get());
    }

    int queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }
}
