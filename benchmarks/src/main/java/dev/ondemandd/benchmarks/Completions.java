package dev.ondemandd.benchmarks;

import dev.ondemandd.daemon.core.ReadReply;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A reusable {@link ReadReply} that counts answers and wakes one waiting thread: the benchmark's own side of a
 * READ allocates nothing, so what -prof gc reports per operation is the core's.
 */
final class Completions implements ReadReply {

    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private volatile Thread waiter;
    private volatile int target;

    /** Arms for {@code count} answers, to be awaited by the calling thread. */
    void expect(int count) {
        answered.set(0);
        target = count;
        waiter = Thread.currentThread();
    }

    /** Waits until the armed number of answers came; throws if any failed. */
    void await() {
        while (answered.get() < target) {
            LockSupport.park(this);
        }
        if (failed.get() != 0) {
            throw new IllegalStateException(failed.get() + " READs failed");
        }
    }

    @Override
    public void filled() {
        done();
    }

    @Override
    public void failed(int errno) {
        failed.incrementAndGet();
        done();
    }

    private void done() {
        if (answered.incrementAndGet() >= target) {
            LockSupport.unpark(waiter);
        }
    }
}
