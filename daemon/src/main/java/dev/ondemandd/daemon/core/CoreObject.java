package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/** An opened object: its target, its blob, its reference count and its queue of READs waiting for a slot. */
final class CoreObject implements ObjectHandle {

    private static final System.Logger LOG = System.getLogger(CoreObject.class.getName());

    private final long id;
    private final Binding binding;
    private final Blob blob;
    private final CacheTarget target;
    private final Core core;
    private final FetchPolicy policy;
    private final RefCount refs = new RefCount();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** READs waiting for a slot, FIFO; guarded by the dispatcher's lock. */
    final ArrayDeque<ReadTask> queue = new ArrayDeque<>();
    /** Whether this object is in the dispatcher's ring; guarded by the dispatcher's lock. */
    boolean inRing;
    /** Its fetches in flight (a handful); guarded by the dispatcher's lock. */
    final List<Fetch> inflight = new ArrayList<>(2);
    /** Whether it is in the dispatcher's prefetch ring; guarded by the dispatcher's lock. */
    boolean inPrefetchRing;
    // Sequential detection and prefetch progress; guarded by the dispatcher's lock.
    private long lastStart;
    private long lastEnd;
    private int sequentialReads;
    private long prefetchCursor;
    /** Units fetched whole (only kept while prefetching, so prefetch skips them). */
    private BitSet fetchedUnits;

    CoreObject(long id, Binding binding, Blob blob, CacheTarget target, Core core, FetchPolicy policy) {
        this.id = id;
        this.policy = policy;
        this.binding = binding;
        this.blob = blob;
        this.target = target;
        this.core = core;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public ObjectKey key() {
        return binding.key;
    }

    @Override
    public long size() {
        return blob.size();
    }

    @Override
    public String describe() {
        return LogIds.of(target, id, key());
    }

    /** How its READs become fetches (the core's, or the one its frontend opened it with). */
    FetchPolicy policy() {
        return policy;
    }

    Blob blob() {
        return blob;
    }

    CacheTarget target() {
        return target;
    }

    @Override
    public void read(long offset, long length, ReadReply reply) {
        core.submit(this, offset, length, reply);
    }

    boolean isClosed() {
        return closed.get();
    }

    /** Takes a reference for a READ; false once the object has been freed. */
    boolean tryRetain() {
        return refs.tryRetain();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            throw new IllegalStateException("object " + describe() + " closed twice");
        }
        core.listener().onClose(key(), id);
        release();
    }

    /** Closes unless already closed; for shutdown. */
    void closeQuietly() {
        if (closed.compareAndSet(false, true)) {
            core.listener().onClose(key(), id);
            release();
        }
    }

    /** Drops a reference; the last one closes the target, then leaves the table. */
    void release() {
        if (refs.release()) {
            try {
                target.close();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "closing the target of object " + describe() + " failed: " + e);
            }
            core.table().remove(this);
            core.table().release(binding);
            core.listener().onRelease(key(), id);
        }
    }

    /** Takes a reference for a fetch while a READ already holds one (so the count cannot be zero). */
    void retain() {
        refs.retain();
    }

    /**
     * A READ of {@code [start, end)} came: it is sequential when it starts inside or right at the end of the
     * previous one and moves forward. Under the dispatcher's lock.
     */
    void noteRead(long start, long end) {
        boolean sequential = start >= lastStart && start <= lastEnd;
        sequentialReads = sequential ? Math.min(sequentialReads + 1, 62) : 0;
        lastStart = start;
        lastEnd = Math.max(end, sequential ? lastEnd : end);
    }

    /**
     * A fetch for a READ reaches {@code to}: the kernel sends no READ for pages that are filled, so the next READ
     * of a sequential reader starts there. Under the dispatcher's lock.
     */
    void noteFetch(long to) {
        lastEnd = Math.max(lastEnd, to);
    }

    /**
     * Bytes to read past a READ's units: none for a random reader; for a sequential one a unit, doubling with
     * each sequential READ up to the policy's maximum. Under the dispatcher's lock.
     */
    long readaheadWindow(FetchPolicy policy) {
        if (policy.readaheadMax() == 0 || sequentialReads == 0) {
            return 0;
        }
        int shift = Math.min(sequentialReads - 1, 30);
        return Math.min(policy.readaheadMax(), (long) policy.unit() << shift);
    }

    void startPrefetch() {
        prefetchCursor = 0;
        if (fetchedUnits == null) {
            fetchedUnits = new BitSet();
        }
    }

    /**
     * The start of the next unit to prefetch — not fetched whole yet, not covered by a fetch in flight — or -1
     * when the object is done. Under the dispatcher's lock.
     */
    long nextPrefetchUnit(int unit) {
        long size = size();
        while (prefetchCursor < size) {
            long from = prefetchCursor;
            prefetchCursor = Math.min(size, from + unit);
            if (fetchedUnits.get((int) Math.min(Integer.MAX_VALUE, from / unit)) || coveredInFlight(from)) {
                continue;
            }
            return from;
        }
        return -1;
    }

    private boolean coveredInFlight(long offset) {
        for (Fetch f : inflight) {
            if (f.from <= offset && offset < f.to) {
                return true;
            }
        }
        return false;
    }

    /** {@code [from, to)} was written: units it covers whole are not prefetched again. Under the dispatcher's lock. */
    void fetched(long from, long to, int unit) {
        if (fetchedUnits == null) {
            return;
        }
        long first = (from + unit - 1) / unit;
        long end = to == size() ? (to + unit - 1) / unit : to / unit;
        for (long u = first; u < end && u < Integer.MAX_VALUE; u++) {
            fetchedUnits.set((int) u);
        }
    }

    int references() {
        return refs.get();
    }
}
