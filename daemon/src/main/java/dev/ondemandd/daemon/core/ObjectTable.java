package dev.ondemandd.daemon.core;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live objects by id, and the per-key bindings they share. An object leaves the table when its last
 * reference is released; a binding is closed when its last user leaves.
 */
final class ObjectTable {

    private final ConcurrentHashMap<Long, CoreObject> objects = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ObjectKey, Binding> bindings = new ConcurrentHashMap<>();
    private final Object drained = new Object();

    Binding acquire(ObjectKey key) {
        return bindings.compute(key, (k, existing) -> {
            Binding binding = existing != null ? existing : new Binding(k);
            binding.users++;
            return binding;
        });
    }

    void release(Binding binding) {
        boolean[] last = new boolean[1];
        bindings.computeIfPresent(binding.key, (k, current) -> {
            if (current != binding) {
                throw new IllegalStateException("binding of " + k + " released twice");
            }
            last[0] = --current.users == 0;
            return last[0] ? null : current;
        });
        if (last[0]) {
            binding.close();
        }
        signal();
    }

    void add(CoreObject object) {
        objects.put(object.id(), object);
    }

    void remove(CoreObject object) {
        objects.remove(object.id(), object);
        signal();
    }

    List<CoreObject> objects() {
        return List.copyOf(objects.values());
    }

    int size() {
        return objects.size();
    }

    int bindings() {
        return bindings.size();
    }

    private void signal() {
        synchronized (drained) {
            drained.notifyAll();
        }
    }

    /** Waits until no object and no binding is left, or the deadline (System.nanoTime()) passes. */
    boolean awaitEmpty(long deadlineNanos) throws InterruptedException {
        synchronized (drained) {
            while (!objects.isEmpty() || !bindings.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                drained.wait(Math.max(1, left / 1_000_000));
            }
            return true;
        }
    }
}
