package dev.ondemandd.daemon.core;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;

/** Thread factories that name every thread ({@code ondemandd-<role>-<n>}), so thread dumps and logs say who is who. */
public final class NamedThreads {

    private NamedThreads() {
    }

    /** Platform daemon threads, for loops that block in native calls and for timers. */
    public static ThreadFactory platform(String role) {
        AtomicLong counter = new AtomicLong();
        return runnable -> {
            Thread thread = new Thread(runnable, "ondemandd-" + role + "-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** Virtual threads, for fetches and other work that waits on I/O. */
    public static ThreadFactory virtual(String role) {
        return Thread.ofVirtual().name("ondemandd-" + role + "-", 1).factory();
    }
}
