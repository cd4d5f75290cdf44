package dev.ondemandd.daemon.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The deadlines of the READs in flight, kept in one intrusive list in the order they were armed. Every READ gets
 * the same deadline after its submission (the core's read deadline), so that order is deadline order: the head is
 * always the first due. One sweep on the core's timer sleeps until the head's deadline and expires what is due; a
 * READ answered earlier unlinks itself. Per READ that is a link and an unlink under one short lock — no scheduled
 * task, no future, no heap, and no wake-up of the timer thread (a sweep is scheduled only when the list was empty).
 */
final class ReadDeadlines {

    private final ReentrantLock lock = new ReentrantLock();
    private final ScheduledExecutorService timer;
    private final long durationNanos;
    // Guarded by the lock.
    private ReadTask head;
    private ReadTask tail;
    private boolean sweepScheduled;

    ReadDeadlines(ScheduledExecutorService timer, long durationNanos) {
        this.timer = timer;
        this.durationNanos = durationNanos;
    }

    /**
     * Arms {@code task}'s deadline, {@code durationNanos} from now (a task answered already is left alone).
     *
     * @throws RejectedExecutionException when the timer was shut down: the caller answers the READ
     */
    void arm(ReadTask task) {
        lock.lock();
        try {
            if (task.isAnswered()) {
                return;
            }
            task.deadlineAt = System.nanoTime() + durationNanos;
            if (!sweepScheduled) {
                timer.schedule(this::sweep, durationNanos, TimeUnit.NANOSECONDS);
                sweepScheduled = true;
            }
            task.deadlinePrev = tail;
            task.deadlineNext = null;
            if (tail == null) {
                head = task;
            } else {
                tail.deadlineNext = task;
            }
            tail = task;
            task.deadlineArmed = true;
        } finally {
            lock.unlock();
        }
    }

    /** The READ was answered: its deadline no longer matters. */
    void disarm(ReadTask task) {
        lock.lock();
        try {
            unlink(task);
        } finally {
            lock.unlock();
        }
    }

    private void unlink(ReadTask task) {
        if (!task.deadlineArmed) {
            return;
        }
        task.deadlineArmed = false;
        ReadTask prev = task.deadlinePrev;
        ReadTask next = task.deadlineNext;
        if (prev == null) {
            head = next;
        } else {
            prev.deadlineNext = next;
        }
        if (next == null) {
            tail = prev;
        } else {
            next.deadlinePrev = prev;
        }
        task.deadlinePrev = null;
        task.deadlineNext = null;
    }

    /** Expires every READ that is due, then sleeps until the next one's deadline (none: until one is armed). */
    private void sweep() {
        List<ReadTask> due = new ArrayList<>();
        lock.lock();
        try {
            long now = System.nanoTime();
            while (head != null && head.deadlineAt - now <= 0) {
                ReadTask t = head;
                unlink(t);
                due.add(t);
            }
            sweepScheduled = false;
            if (head != null) {
                try {
                    timer.schedule(this::sweep, head.deadlineAt - now, TimeUnit.NANOSECONDS);
                    sweepScheduled = true;
                } catch (RejectedExecutionException e) {
                    // Shutting down: the core answers what is left.
                }
            }
        } finally {
            lock.unlock();
        }
        for (ReadTask t : due) {
            t.expire();
        }
    }
}
