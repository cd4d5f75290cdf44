package dev.ondemandd.fetchers;

import java.time.Duration;
import java.util.Objects;

/**
 * How a failed fetch is retried: at most {@code maxAttempts} tries, exponential backoff from
 * {@code initialBackoff} capped at {@code maxBackoff} with jitter, and never past {@code budget} after the
 * first try began — the budget must fit inside the core's READ deadline so the kernel is answered in time.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration budget) {

    /** More tries than this only hammer a source that is down. */
    public static final int MAX_ATTEMPTS_LIMIT = 20;

    public static final RetryPolicy DEFAULT =
            new RetryPolicy(4, Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofSeconds(20));

    /** One try, no retry. */
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, Duration.ZERO, Duration.ZERO);

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(budget, "budget");
        if (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT) {
            throw new IllegalArgumentException("maxAttempts must be 1.." + MAX_ATTEMPTS_LIMIT + ": " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0 || budget.isNegative()) {
            throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff and budget >= 0");
        }
    }

    /**
     * The backoff before try number {@code attempt + 1} (attempt counts from 1), before jitter:
     * {@code initialBackoff * 2^(attempt-1)}, capped at {@code maxBackoff}.
     */
    public long backoffNanos(int attempt) {
        int shift = Math.min(attempt - 1, 30);
        long base = initialBackoff.toNanos();
        long cap = maxBackoff.toNanos();
        return base > (cap >> shift) ? cap : Math.min(cap, base << shift);
    }
}
