package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;

/** An opened object: its target, its blob, its reference count and its queue of READs waiting for a slot. */
final class CoreObject implements ObjectHandle {

    private static final System.Logger LOG = System.getLogger(CoreObject.class.getName());

    private final long id;
    private final Binding binding;
    private final Blob blob;
    private final CacheTarget target;
    private final Core core;
    private final RefCount refs = new RefCount();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** READs waiting for a slot, FIFO; guarded by the dispatcher's lock. */
    final ArrayDeque<ReadTask> queue = new ArrayDeque<>();
    /** Whether this object is in the dispatcher's ring; guarded by the dispatcher's lock. */
    boolean inRing;

    CoreObject(long id, Binding binding, Blob blob, CacheTarget target, Core core) {
        this.id = id;
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

    int references() {
        return refs.get();
    }
}
