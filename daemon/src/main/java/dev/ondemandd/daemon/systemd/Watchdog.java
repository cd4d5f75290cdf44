package dev.ondemandd.daemon.systemd;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * systemd's watchdog (WatchdogSec=), kept alive by the serving loops themselves rather than by a timer: a
 * timer thread would go on pinging while the device loop is stuck, which is exactly what the watchdog is
 * there to catch.
 *
 * <p>Each serving loop {@linkplain #register registers} and calls {@link Loop#alive()} once per iteration,
 * blocking at most {@link #maxBlockMillis(long)} between calls. WATCHDOG=1 goes out when half the interval
 * has passed since the last ping (as sd_watchdog_enabled(3) advises) and every registered loop has been alive
 * since that ping; one stuck loop withholds the ping and systemd restarts the service. Register the loops
 * before READY=1. {@code alive()} allocates nothing.
 */
public final class Watchdog {

    /** Microseconds after which systemd considers the service hung; set with WatchdogSec=. */
    public static final String WATCHDOG_USEC = "WATCHDOG_USEC";

    /** The pid the watchdog is meant for; another process (a child) must not ping. */
    public static final String WATCHDOG_PID = "WATCHDOG_PID";

    private static final Watchdog DISABLED = new Watchdog(0, System::nanoTime, () -> false);

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    private final BooleanSupplier ping;
    private final List<Loop> loops = new ArrayList<>();
    private long lastPingNanos;
    private long pings;

    Watchdog(long watchdogUsec, LongSupplier nanoClock, BooleanSupplier ping) {
        this.intervalNanos = TimeUnit.MICROSECONDS.toNanos(watchdogUsec);
        this.nanoClock = nanoClock;
        this.ping = ping;
        this.lastPingNanos = nanoClock.getAsLong();
    }

    /** A watchdog that never pings; loops may still register and call {@code alive()}. */
    public static Watchdog disabled() {
        return DISABLED;
    }

    /**
     * WATCHDOG_USEC when it is meant for {@code pid} (WATCHDOG_PID unset or equal), else 0.
     *
     * @throws IllegalArgumentException when a variable is set but not a number
     */
    static long usecFromEnvironment(Map<String, String> env, long pid) {
        String usec = env.get(WATCHDOG_USEC);
        if (usec == null || usec.isEmpty()) {
            return 0;
        }
        String forPid = env.get(WATCHDOG_PID);
        if (forPid != null && !forPid.isEmpty() && parsePositive(WATCHDOG_PID, forPid) != pid) {
            return 0;
        }
        return parsePositive(WATCHDOG_USEC, usec);
    }

    private static long parsePositive(String name, String value) {
        try {
            long parsed = Long.parseLong(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + "=" + value + " is not a positive integer;"
                + " unset it or let systemd set it (WatchdogSec= in the unit)");
    }

    /** True when systemd expects pings. */
    public boolean enabled() {
        return intervalNanos > 0;
    }

    /** WatchdogSec= as systemd passed it; zero when disabled. */
    public Duration interval() {
        return Duration.ofNanos(intervalNanos);
    }

    /**
     * How long a loop may block (in poll, in a read) between two {@code alive()} calls: {@code preferred},
     * capped at a quarter of the interval so that two iterations fit into each ping period.
     */
    public long maxBlockMillis(long preferred) {
        if (!enabled()) {
            return preferred;
        }
        return Math.max(1, Math.min(preferred, TimeUnit.NANOSECONDS.toMillis(intervalNanos / 4)));
    }

    /** Pings sent so far, for tests and the status command. */
    public synchronized long pings() {
        return pings;
    }

    /** Adds a serving loop; until it first calls {@code alive()} it withholds pings. */
    public synchronized Loop register(String name) {
        Loop loop = new Loop(name);
        loop.lastAliveNanos = lastPingNanos; // not alive yet
        if (enabled()) {
            loops.add(loop);
        }
        return loop;
    }

    private synchronized void alive(Loop loop) {
        if (!enabled()) {
            return;
        }
        long now = nanoClock.getAsLong();
        loop.lastAliveNanos = now;
        if (now - lastPingNanos < intervalNanos / 2) {
            return;
        }
        for (int i = 0; i < loops.size(); i++) {
            if (loops.get(i).lastAliveNanos - lastPingNanos <= 0) {
                return; // this loop has not come round since the last ping: it may be stuck
            }
        }
        lastPingNanos = now;
        if (ping.getAsBoolean()) {
            pings++;
        }
    }

    private synchronized void deregister(Loop loop) {
        loops.remove(loop);
    }

    /** One serving loop's handle. */
    public final class Loop implements AutoCloseable {
        private final String name;
        private long lastAliveNanos;

        private Loop(String name) {
            this.name = name;
        }

        /** The loop came round: it is not stuck. Call once per iteration. */
        public void alive() {
            Watchdog.this.alive(this);
        }

        /** The loop's name, for logs. */
        public String name() {
            return name;
        }

        /** The loop ended on purpose; it no longer withholds pings. */
        @Override
        public void close() {
            deregister(this);
        }
    }
}
