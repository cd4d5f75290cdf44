package dev.ondemandd.daemon.core;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.function.Consumer;

/** Fans events out to several listeners; a listener that throws is logged and skipped, never propagated. */
final class CompositeListener implements CoreListener {

    private static final System.Logger LOG = System.getLogger(CompositeListener.class.getName());

    private final CoreListener[] listeners;

    CompositeListener(List<CoreListener> listeners) {
        this.listeners = listeners.toArray(CoreListener[]::new);
    }

    private void each(Consumer<CoreListener> event) {
        for (CoreListener listener : listeners) {
            try {
                event.accept(listener);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "listener " + listener.getClass().getName() + " threw", e);
            }
        }
    }

    @Override
    public void onOpen(ObjectKey key, long objectId, long size, long latencyNanos) {
        each(l -> l.onOpen(key, objectId, size, latencyNanos));
    }

    @Override
    public void onOpenFailed(ObjectKey key, int errno, long latencyNanos) {
        each(l -> l.onOpenFailed(key, errno, latencyNanos));
    }

    @Override
    public void onRead(ObjectKey key, long objectId, long offset, long length) {
        each(l -> l.onRead(key, objectId, offset, length));
    }

    @Override
    public void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome, int errno,
            long latencyNanos) {
        each(l -> l.onReadDone(key, objectId, offset, length, outcome, errno, latencyNanos));
    }

    @Override
    public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
        each(l -> l.onFetch(key, offset, length, errno, latencyNanos));
    }

    @Override
    public void onClose(ObjectKey key, long objectId) {
        each(l -> l.onClose(key, objectId));
    }

    @Override
    public void onRelease(ObjectKey key, long objectId) {
        each(l -> l.onRelease(key, objectId));
    }
}
