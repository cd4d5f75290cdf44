package dev.ondemandd.daemon.supervisor;

import java.time.Duration;

/**
 * The wait before restarting a worker: {@code base} after a worker that became ready (it served, then died), doubling
 * for each worker in a row that died before it was ready (a crash loop), up to {@code max}.
 */
final class Backoff {
    private final Duration base;
    private final Duration max;
    private int failuresInARow;

    Backoff(Duration base, Duration max) {
        if (base.isNegative() || max.compareTo(base) < 0) {
            throw new IllegalArgumentException("restart delays must be 0 <= base <= max: " + base + ", " + max);
        }
        this.base = base;
        this.max = max;
    }

    /** The delay before the next start, after a worker that {@code wasReady} or not died. */
    Duration next(boolean wasReady) {
        if (wasReady) {
            failuresInARow = 0;
            return base;
        }
        Duration d = base;
        for (int i = 0; i < failuresInARow && d.compareTo(max) < 0; i++) {
            d = d.isZero() ? Duration.ofMillis(100) : d.multipliedBy(2);
        }
        failuresInARow++;
        return d.compareTo(max) > 0 ? max : d;
    }
}
