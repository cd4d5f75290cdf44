package dev.ondemandd.daemon.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands READs to fetch threads fairly: each object has a FIFO queue, and objects with queued READs wait in
 * a ring. A free slot goes to the READ at the head of the ring's first object, which then moves to the
 * ring's tail — so an object with a thousand queued READs gets one slot per turn, like every other object.
 * At most {@code concurrency} READs run at once.
 *
 * <p>READs run on at most {@code concurrency} fetch threads, started as needed and then kept: a thread whose
 * READ finished takes the next one itself while the ring has any (no thread start, no hand-off: the hot path
 * under load), and otherwise waits idle until one is handed to it.
 */
final class Dispatcher {

    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<CoreObject> ring = new ArrayDeque<>();
    /** Fetch threads waiting for a READ, most recently idle first (its stack and caches are warmest). */
    private final ArrayDeque<Worker> idleWorkers = new ArrayDeque<>();
    private final int concurrency;
    private final ThreadFactory threads;
    private int running;
    private int queued;
    /** READs taken from their queue and not yet answered (a running READ may outlive its answer). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private boolean shutdown;

    Dispatcher(int concurrency, ThreadFactory threads) {
        this.concurrency = concurrency;
        this.threads = threads;
    }

    /** Queues {@code task} on its object; false after shutdown (the caller answers it). */
    boolean submit(ReadTask task) {
        lock.lock();
        try {
            if (shutdown) {
                return false;
            }
            CoreObject object = task.object;
            object.queue.addLast(task);
            queued++;
            if (!object.inRing) {
                object.inRing = true;
                ring.addLast(object);
            }
            pump();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Starts READs while slots are free, one per object per turn of the ring. Under the lock. */
    private void pump() {
        while (running < concurrency && !ring.isEmpty()) {
            ReadTask task = next();
            Worker worker = idleWorkers.pollFirst();
            if (worker != null) {
                worker.handed = task;
                worker.wake.signal();
            } else {
                threads.newThread(new Worker(task)).start();
            }
        }
    }

    /** Takes the READ whose turn it is and counts it running. Under the lock, with the ring not empty. */
    private ReadTask next() {
        CoreObject object = ring.pollFirst();
        ReadTask task = object.queue.pollFirst();
        queued--;
        if (object.queue.isEmpty()) {
            object.inRing = false;
        } else {
            ring.addLast(object);
        }
        running++;
        if (task.markStarted()) {
            inFlight.incrementAndGet();
        }
        return task;
    }

    /**
     * {@code worker}'s READ finished: its slot goes to the next READ in the ring, which the same worker runs;
     * with none, the worker waits until one is handed to it. Null once the dispatcher shut down: the worker ends.
     */
    private ReadTask finished(Worker worker) {
        lock.lock();
        try {
            running--;
            if (running == 0) {
                idle.signalAll();
            }
            if (!shutdown && running < concurrency && !ring.isEmpty()) {
                return next();
            }
            idleWorkers.addFirst(worker);
            while (worker.handed == null && !shutdown) {
                worker.wake.awaitUninterruptibly();
            }
            ReadTask task = worker.handed;
            worker.handed = null;
            if (task == null) {
                idleWorkers.remove(worker);
            }
            return task;
        } finally {
            lock.unlock();
        }
    }

    /** A fetch thread: runs the READ it was started with, then every READ {@link #finished} gives it. */
    private final class Worker implements Runnable {
        private final ReadTask first;
        private final Condition wake = lock.newCondition();
        /** A READ handed to this worker while it was idle; guarded by the lock. */
        private ReadTask handed;

        Worker(ReadTask first) {
            this.first = first;
        }

        @Override
        public void run() {
            for (ReadTask task = first; task != null; task = finished(this)) {
                // An interrupt meant for the previous READ's fetch must not fail this one.
                Thread.interrupted();
                try {
                    task.run();
                } catch (RuntimeException | Error e) {
                    // ReadTask answers its own failures; whatever escapes must not take the slot with it.
                    LOG.log(System.Logger.Level.ERROR, "a READ's fetch thread failed unexpectedly", e);
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
            queued = 0;
            return drained;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until no READ is running or the deadline (System.nanoTime()) passes. */
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
