package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One READ: queued on its object, run by one of the dispatcher's fetch threads (virtual threads), answered
 * exactly once — by the fetch when it finishes, or by the deadline timer when it does not finish in time.
 *
 * <p>After a timeout the late result is discarded: no write starts once the READ is answered. A write that
 * was already running when the deadline fired finishes (the bytes are right, so it is harmless), and the
 * object's reference is held until then, so the target is never closed under it. The deadline interrupts a
 * fetch that is still reading from its source so its slot frees up; it never interrupts a write.
 */
final class ReadTask implements Runnable {

    private static final System.Logger LOG = System.getLogger(ReadTask.class.getName());
    private static final int EIO = FetchException.EIO;

    private enum Phase { QUEUED, FETCHING, WRITING, DONE }

    final CoreObject object;
    final long offset;
    final long length;
    private final ReadReply reply;
    private final Core core;
    private final long submitted;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile ScheduledFuture<?> deadline;
    /** Guarded by this. */
    private Phase phase = Phase.QUEUED;
    /** Guarded by this. */
    private Thread runner;
    /** Taken from its queue and counted as in flight; guarded by this. */
    private boolean started;

    ReadTask(CoreObject object, long offset, long length, ReadReply reply, Core core) {
        this.object = object;
        this.offset = offset;
        this.length = length;
        this.reply = reply;
        this.core = core;
        this.submitted = System.nanoTime();
    }

    void armDeadline(ScheduledFuture<?> future) {
        deadline = future;
        if (answered.get()) {
            future.cancel(false);
        }
    }

    boolean isAnswered() {
        return answered.get();
    }

    /**
     * Marks the READ as taken from its queue; false when it was answered first (then it is not in flight).
     * Called by the dispatcher, which then counts it in flight.
     */
    synchronized boolean markStarted() {
        if (answered.get()) {
            return false;
        }
        started = true;
        return true;
    }

    /** Answers the READ unless it already was; true when this call answered it. */
    boolean answer(ReadOutcome outcome, int errno) {
        if (!answered.compareAndSet(false, true)) {
            return false;
        }
        boolean wasStarted;
        synchronized (this) {
            wasStarted = started;
        }
        if (wasStarted) {
            // In flight means the kernel still waits: it stops counting now, before anyone sees the answer.
            core.dispatcher().answered();
        }
        ScheduledFuture<?> timer = deadline;
        if (timer != null && outcome != ReadOutcome.TIMED_OUT) {
            timer.cancel(false);
        }
        // Listeners first: whoever sees the answer finds the metrics already counting it.
        core.listener().onReadDone(object.key(), object.id(), offset, length, outcome, errno,
                System.nanoTime() - submitted);
        try {
            if (outcome == ReadOutcome.FILLED) {
                reply.filled();
            } else {
                reply.failed(errno);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "answering READ " + describe() + " threw", e);
        }
        return true;
    }

    /** The deadline passed: fail the READ now; free its queue place or interrupt its fetch. */
    void expire() {
        if (!answer(ReadOutcome.TIMED_OUT, EIO)) {
            return;
        }
        LOG.log(Level.WARNING, "READ " + describe() + " passed its deadline; answered EIO");
        if (core.dispatcher().removeQueued(this)) {
            object.release();
            return;
        }
        synchronized (this) {
            if (phase == Phase.FETCHING && runner != null) {
                runner.interrupt();
            }
        }
    }

    @Override
    public void run() {
        ByteBuffer buffer = null;
        try {
            if (answered.get()) {
                return;
            }
            buffer = core.buffers().acquire();
            fill(buffer);
        } catch (InterruptedException e) {
            answer(ReadOutcome.FAILED, EIO);
        } catch (RuntimeException | Error e) {
            LOG.log(Level.ERROR, "READ " + describe() + " failed unexpectedly", e);
            answer(ReadOutcome.FAILED, EIO);
        } finally {
            synchronized (this) {
                phase = Phase.DONE;
                runner = null;
            }
            Thread.interrupted();
            if (buffer != null) {
                core.buffers().release(buffer);
            }
            object.release();
        }
    }

    private void fill(ByteBuffer buffer) {
        long size = object.size();
        long start = offset - offset % CoreSettings.PAGE_SIZE;
        // Whole pages up to the object's end: a frontend pads a partial page with zeros for direct I/O, which
        // is only right past the end of the object (a shorter write would put zeros over data not yet fetched).
        long end = length > size - offset ? size
                : Math.min(size, (offset + length + CoreSettings.PAGE_SIZE - 1) / CoreSettings.PAGE_SIZE
                        * CoreSettings.PAGE_SIZE);
        for (long position = start; position < end; position += buffer.capacity()) {
            int chunk = (int) Math.min(buffer.capacity(), end - position);
            buffer.clear().limit(chunk);
            if (!enter(Phase.FETCHING)) {
                return;
            }
            long fetchStart = System.nanoTime();
            try {
                object.blob().read(position, buffer);
                core.listener().onFetch(object.key(), position, chunk, 0, System.nanoTime() - fetchStart);
            } catch (IOException e) {
                int errno = e instanceof FetchException fe ? fe.errno() : EIO;
                core.listener().onFetch(object.key(), position, chunk, errno, System.nanoTime() - fetchStart);
                if (answer(ReadOutcome.FAILED, errno)) {
                    LOG.log(Level.WARNING, "READ " + describe() + ": fetch of " + object.blob().describe() + " at "
                            + position + "+" + chunk + " failed (errno " + errno + "): " + e.getMessage());
                }
                return;
            }
            if (buffer.hasRemaining()) {
                // A blob that returned short broke its contract; writing what it gave would pad it with zeros.
                if (answer(ReadOutcome.FAILED, EIO)) {
                    LOG.log(Level.WARNING, "READ " + describe() + ": " + object.blob().describe() + " returned "
                            + buffer.position() + " of " + chunk + " bytes at " + position);
                }
                return;
            }
            if (!enter(Phase.WRITING)) {
                return;
            }
            buffer.flip();
            try {
                object.target().write(buffer, position);
            } catch (IOException e) {
                if (answer(ReadOutcome.FAILED, EIO)) {
                    LOG.log(Level.WARNING, "READ " + describe() + ": write at " + position + "+" + chunk
                            + " failed: " + e.getMessage());
                }
                return;
            }
        }
        answer(ReadOutcome.FILLED, 0);
    }

    /** Moves to {@code next} unless the READ was answered meanwhile (then the rest is discarded). */
    private synchronized boolean enter(Phase next) {
        if (answered.get()) {
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

    private String describe() {
        return object.describe() + " " + offset + "+" + length;
    }
}
