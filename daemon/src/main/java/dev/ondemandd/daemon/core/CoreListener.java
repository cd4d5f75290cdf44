package dev.ondemandd.daemon.core;

import java.util.List;

/**
 * Observes the core: metrics, trace recording and logs plug in here. Methods are called on the thread that
 * made the event happen (a frontend loop, a fetch thread, the deadline timer) and must return quickly and
 * not throw; an exception is logged and otherwise ignored. {@code objectId} is {@link ObjectHandle#id()}.
 */
public interface CoreListener {

    /** An OPEN succeeded: the source was resolved and its size pinned. */
    default void onOpen(ObjectKey key, long objectId, long size, long latencyNanos) {
    }

    /** An OPEN was answered with {@code -errno}. */
    default void onOpenFailed(ObjectKey key, int errno, long latencyNanos) {
    }

    /** A READ was submitted (before it is queued). */
    default void onRead(ObjectKey key, long objectId, long offset, long length) {
    }

    /** A READ was answered; {@code errno} is 0 when filled. */
    default void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome, int errno,
            long latencyNanos) {
    }

    /** One fetch from the source (a READ may take several); {@code errno} is 0 on success. */
    default void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
    }

    /** The frontend's CLOSE for an object. */
    default void onClose(ObjectKey key, long objectId) {
    }

    /** The object's last reference was released and its target closed. */
    default void onRelease(ObjectKey key, long objectId) {
    }

    /** A listener that does nothing. */
    static CoreListener none() {
        return NoListener.INSTANCE;
    }

    /** Calls each listener in order; one that throws does not keep the others from being called. */
    static CoreListener all(List<CoreListener> listeners) {
        return new CompositeListener(List.copyOf(listeners));
    }
}
