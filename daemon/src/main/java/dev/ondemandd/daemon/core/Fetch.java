package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One fetch of {@code [from, to)} of an object, run by one fetch thread in buffer-sized steps, each read from
 * the blob and written to the target in order. It carries the READs waiting for pages in its range and answers
 * each as soon as the written part covers it, so a READ never waits for read-ahead past its own pages.
 *
 * <p>It holds its own reference on the object, so the target stays open for its writes even when every READ it
 * carried was answered. It stops early when the source fails (its unanswered READs get the errno), when its
 * READs all passed their deadline (the deadline interrupts a fetch still reading from its source, never a
 * write), or, when it carries no READ (read-ahead past them, prefetch), when its own deadline passes.
 */
final class Fetch {

    private static final System.Logger LOG = System.getLogger(Fetch.class.getName());
    private static final int EIO = FetchException.EIO;

    private enum Phase { FETCHING, WRITING, DONE }

    final CoreObject object;
    final long from;
    final long to;
    /** A prefetch: runs only in the slots demand READs leave, and counts against the prefetch slots. */
    final boolean prefetch;
    private final Core core;
    private final long deadlineNanos;
    /** Guarded by this. */
    private final List<ReadTask> waiters = new ArrayList<>(1);
    /** Bytes from {@code from} on that are written; guarded by this. */
    private long written;
    /** Guarded by this. */
    private Phase phase = Phase.FETCHING;
    /** Guarded by this. */
    private Thread runner;
    /** A READ it carried passed its deadline; once none is left unanswered the fetch stops. Guarded by this. */
    private boolean expired;

    Fetch(CoreObject object, long from, long to, boolean prefetch, Core core) {
        this.object = object;
        this.from = from;
        this.to = to;
        this.prefetch = prefetch;
        this.core = core;
        this.written = from;
        this.deadlineNanos = System.nanoTime() + core.settings().readDeadline().toNanos();
    }

    boolean covers(long start, long end) {
        return start >= from && end <= to;
    }

    /**
     * Carries a started READ; false when its pages are already written (the caller answers it FILLED) or the
     * fetch has ended. Called under the dispatcher's lock, after {@link ReadTask#markStarted}.
     */
    synchronized boolean attach(ReadTask task) {
        if (phase == Phase.DONE || written >= task.end) {
            return false;
        }
        waiters.add(task);
        return true;
    }

    /**
     * Whether a READ it covers may ride on it: not once every READ it carried expired and was answered — it is
     * being stopped (or is stuck in a read deaf to the interrupt) and can only end in EIO, which a READ arriving
     * now with a deadline of its own must not inherit. Abandoned stays abandoned, as nothing else attaches to it.
     */
    synchronized boolean joinable() {
        return phase != Phase.DONE && !abandonedLocked();
    }

    /** A READ it carries passed its deadline: with none left waiting, a fetch still reading is interrupted. */
    synchronized void waiterExpired() {
        expired = true;
        if (abandonedLocked() && phase == Phase.FETCHING && runner != null) {
            runner.interrupt();
        }
    }

    private boolean abandonedLocked() {
        if (!expired) {
            return false;
        }
        for (ReadTask t : waiters) {
            if (!t.isAnswered()) {
                return false;
            }
        }
        return true;
    }

    /** Runs the fetch on the calling fetch thread with a pooled buffer; always ends by {@link #finish}. */
    void run() {
        ByteBuffer buffer = null;
        int errno = EIO;
        try {
            buffer = core.buffers().acquire();
            errno = fill(buffer);
        } catch (InterruptedException e) {
            errno = EIO;
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "fetch " + describe() + " failed unexpectedly", e);
            errno = EIO;
        } finally {
            Thread.interrupted();
            if (buffer != null) {
                core.buffers().release(buffer);
            }
            finish(errno);
        }
    }

    /** 0 when the whole range was written, else the errno its unanswered READs get. */
    private int fill(ByteBuffer buffer) {
        for (long position = from; position < to; position += buffer.capacity()) {
            int chunk = (int) Math.min(buffer.capacity(), to - position);
            buffer.clear().limit(chunk);
            if (!enter(Phase.FETCHING)) {
                return EIO;
            }
            long fetchStart = System.nanoTime();
            try {
                object.blob().read(position, buffer);
                core.listener().onFetch(object.key(), position, chunk, 0, System.nanoTime() - fetchStart);
            } catch (IOException e) {
                int errno = e instanceof FetchException fe ? fe.errno() : EIO;
                core.listener().onFetch(object.key(), position, chunk, errno, System.nanoTime() - fetchStart);
                LOG.log(Level.WARNING, "fetch " + describe() + ": " + object.blob().describe() + " at " + position
                        + "+" + chunk + " failed (errno " + errno + "): " + e.getMessage());
                return errno;
            }
            if (buffer.hasRemaining()) {
                // A blob that returned short broke its contract; writing what it gave would pad it with zeros.
                LOG.log(Level.WARNING, "fetch " + describe() + ": " + object.blob().describe() + " returned "
                        + buffer.position() + " of " + chunk + " bytes at " + position);
                return EIO;
            }
            if (!enter(Phase.WRITING)) {
                return EIO;
            }
            buffer.flip();
            try {
                object.target().write(buffer, position);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "fetch " + describe() + ": write at " + position + "+" + chunk + " failed: "
                        + e.getMessage());
                return EIO;
            }
            advance(position + chunk);
        }
        return 0;
    }

    /**
     * Moves to {@code next} unless the fetch should stop: every READ it carried was answered after one of them
     * expired, or it carries none and its own deadline passed.
     */
    private synchronized boolean enter(Phase next) {
        if (abandonedLocked() || (waiters.isEmpty() && System.nanoTime() - deadlineNanos > 0)) {
            return false;
        }
        phase = next;
        runner = Thread.currentThread();
        if (next == Phase.WRITING) {
            // An interrupt meant for the fetch must not reach the write.
            Thread.interrupted();
        }
        return true;
    }

    /** {@code [from, frontier)} is written: answers the READs it covers. */
    private void advance(long frontier) {
        List<ReadTask> done = null;
        synchronized (this) {
            written = frontier;
            for (int i = waiters.size() - 1; i >= 0; i--) {
                ReadTask t = waiters.get(i);
                if (t.end <= frontier) {
                    if (done == null) {
                        done = new ArrayList<>(2);
                    }
                    done.add(t);
                }
            }
        }
        if (done != null) {
            for (int i = done.size() - 1; i >= 0; i--) {
                done.get(i).answer(ReadOutcome.FILLED, 0);
            }
        }
    }

    /** Leaves the object's fetches in flight, answers what it still carries with {@code errno}, drops its reference. */
    private void finish(int errno) {
        List<ReadTask> left;
        core.dispatcher().fetchEnded(this, errno == 0);
        synchronized (this) {
            phase = Phase.DONE;
            runner = null;
            left = List.copyOf(waiters);
        }
        for (ReadTask t : left) {
            if (errno == 0) {
                t.answer(ReadOutcome.FILLED, 0);
            } else if (t.answer(ReadOutcome.FAILED, errno)) {
                LOG.log(Level.DEBUG, "READ " + t.describe() + " failed with its fetch (errno " + errno + ")");
            }
        }
        object.release();
    }

    String describe() {
        return object.describe() + " " + from + ".." + to + (prefetch ? " (prefetch)" : "");
    }
}
