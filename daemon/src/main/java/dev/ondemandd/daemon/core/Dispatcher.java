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
 */
final class Dispatcher {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idle = lock.newCondition();
    private final ArrayDeque<CoreObject> ring = new ArrayDeque<>();
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

    /** Starts READs while slots are free, one per object per turn of the ring. */
    private void pump() {
        while (running < concurrency && !ring.isEmpty()) {
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
            threads.newThread(task).start();
        }
    }

    /** A running READ finished: its slot goes to the next in the ring. */
    void finished() {
        lock.lock();
        try {
            running--;
            pump();
            if (running == 0) {
                idle.signalAll();
            }
        } finally {
            lock.unlock();
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
