package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.FetchException;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One READ: queued on its object until a slot is free, then carried by one {@link Fetch} (its own, or one
 * already in flight that covers its pages), and answered exactly once — by that fetch as soon as its pages
 * are written or when it fails, or by the deadline timer when that comes first.
 *
 * <p>It holds one reference on its object from submission until it is answered and out of its queue, so the
 * target stays open for the READ_COMPLETE; the fetch that writes holds its own.
 */
final class ReadTask {

    private static final System.Logger LOG = System.getLogger(ReadTask.class.getName());
    private static final int EIO = FetchException.EIO;
    private static final VarHandle ANSWERED;

    static {
        try {
            ANSWERED = MethodHandles.lookup().findVarHandle(ReadTask.class, "answered", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final CoreObject object;
    final long offset;
    final long length;
    /** The pages it needs written: its range widened to pages, clamped to the object's size. */
    final long start;
    final long end;
    private final ReadReply reply;
    private final Core core;
    private final long submitted;
    /** Set once, by whoever answers it (a field, not an AtomicBoolean: one object less per READ). */
    @SuppressWarnings("unused") // through ANSWERED
    private volatile boolean answered;
    // Its place in the core's ReadDeadlines; guarded by that list's lock.
    long deadlineAt;
    ReadTask deadlinePrev;
    ReadTask deadlineNext;
    boolean deadlineArmed;
    /** Taken from its queue and counted as in flight; guarded by this. */
    private boolean started;
    /** The fetch carrying it, once started. */
    private volatile Fetch fetch;
    /** Counted in the core's bytes in flight (set once admitted, before it can be answered by anyone else). */
    private volatile boolean counted;

    ReadTask(CoreObject object, long offset, long length, ReadReply reply, Core core) {
        this.object = object;
        this.offset = offset;
        this.length = length;
        this.reply = reply;
        this.core = core;
        this.submitted = System.nanoTime();
        long size = object.size();
        this.start = Math.max(0, offset - offset % CoreSettings.PAGE_SIZE);
        // Whole pages up to the object's end: a frontend pads a partial page with zeros for direct I/O, which
        // is only right past the end of the object (a shorter write would put zeros over data not yet fetched).
        this.end = offset < 0 || length < 0 ? start : length > size - offset ? size
                : Math.min(size, (offset + length + CoreSettings.PAGE_SIZE - 1) / CoreSettings.PAGE_SIZE
                        * CoreSettings.PAGE_SIZE);
    }

    /** Bytes it asks for, as the bound on bytes in flight counts them. */
    long weight() {
        return Math.max(0, end - start);
    }

    /** Counts the READ in the core's bytes in flight; its answer takes it out again. */
    void countIn() {
        counted = true;
        core.admitted(weight());
    }

    boolean isAnswered() {
        return answered;
    }

    /**
     * Marks the READ as taken from its queue and carried by {@code carrier}; false when it was answered first
     * (then it is not in flight, and the caller drops the reference it held). Called under the dispatcher's lock.
     */
    synchronized boolean markStarted(Fetch carrier) {
        if (answered) {
            return false;
        }
        started = true;
        fetch = carrier;
        return true;
    }

    /**
     * Answers the READ unless it already was; true when this call answered it. A started READ gives its
     * reference back here, after the reply (which may still complete through the target).
     */
    boolean answer(ReadOutcome outcome, int errno) {
        if (!ANSWERED.compareAndSet(this, false, true)) {
            return false;
        }
        boolean wasStarted;
        Fetch carrier;
        synchronized (this) {
            wasStarted = started;
            carrier = fetch;
        }
        if (wasStarted) {
            // In flight means the kernel still waits: it stops counting now, before anyone sees the answer.
            core.dispatcher().answered();
        }
        if (outcome == ReadOutcome.TIMED_OUT && carrier != null) {
            // Before the reply: a READ of this range that follows the EIO must find the fetch abandoned (when
            // nobody else waits on it) and get a fetch of its own instead of riding on this one into EIO.
            carrier.waiterExpired();
        }
        if (counted) {
            core.admitted(-weight());
        }
        if (outcome != ReadOutcome.TIMED_OUT) {
            core.deadlines().disarm(this); // a timed-out READ was taken off the list by the sweep
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
        if (wasStarted) {
            object.release();
        }
        return true;
    }

    /**
     * Takes a READ that was never started out of the core without answering it (a hand-over: the kernel keeps the
     * request for a successor); true unless it was answered already. The caller drops its object reference.
     */
    boolean leave() {
        if (!ANSWERED.compareAndSet(this, false, true)) {
            return false;
        }
        if (counted) {
            core.admitted(-weight());
        }
        core.deadlines().disarm(this);
        return true;
    }

    /** The deadline passed: fail the READ now; free its queue place, or (in answer) let its fetch stop if nobody else waits. */
    void expire() {
        if (!answer(ReadOutcome.TIMED_OUT, EIO)) {
            return;
        }
        LOG.log(Level.WARNING, "READ " + describe() + " passed its deadline; answered EIO");
        if (core.dispatcher().removeQueued(this)) {
            object.release();
        }
    }

    String describe() {
        return object.describe() + " " + offset + "+" + length;
    }
}
