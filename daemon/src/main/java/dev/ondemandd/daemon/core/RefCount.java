package dev.ondemandd.daemon.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An object's reference count: OPEN sets it to 1, each READ in flight adds one, CLOSE and each finished
 * READ release one; the object is freed when it reaches 0. Once at 0 it stays there: retaining or releasing
 * a freed object is a bug and throws.
 */
final class RefCount {

    private final AtomicInteger count = new AtomicInteger(1);

    /** Adds a reference. @throws IllegalStateException when the count already reached 0 */
    void retain() {
        if (!tryRetain()) {
            throw new IllegalStateException("retain of a released object");
        }
    }

    /** Adds a reference unless the count already reached 0. */
    boolean tryRetain() {
        while (true) {
            int current = count.get();
            if (current <= 0) {
                return false;
            }
            if (current == Integer.MAX_VALUE) {
                throw new IllegalStateException("reference count overflow");
            }
            if (count.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /**
     * Drops a reference.
     *
     * @return true when this was the last one and the object must now be freed
     * @throws IllegalStateException when the count already reached 0
     */
    boolean release() {
        while (true) {
            int current = count.get();
            if (current <= 0) {
                throw new IllegalStateException("release of a released object");
            }
            if (count.compareAndSet(current, current - 1)) {
                return current == 1;
            }
        }
    }

    int get() {
        return count.get();
    }
}
