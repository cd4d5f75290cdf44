package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.RetryLaterException;
import dev.ondemandd.fetchers.RetryPolicy;
import java.io.IOException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Runs one fetch operation under a {@link RetryPolicy}: retryable failures (and plain I/O errors) are tried
 * again after an exponential backoff with "equal jitter" (half fixed, half random), as long as the try count
 * and the time budget allow; the last failure is rethrown as it was.
 */
final class Retrier {

    /** One try of the operation. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    /** Sleeps; a test may replace it. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(long nanos) throws InterruptedException;
    }

    private final RetryPolicy policy;
    private final FetchMetrics metrics;
    private final String source;
    private final LongSupplier clock;
    private final Sleeper sleeper;

    Retrier(RetryPolicy policy, FetchMetrics metrics, String source) {
        this(policy, metrics, source, System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    Retrier(RetryPolicy policy, FetchMetrics metrics, String source, LongSupplier clock, Sleeper sleeper) {
        this.policy = policy;
        this.metrics = metrics;
        this.source = source;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    <T> T call(Attempt<T> attempt, Runnable beforeRetry) throws IOException {
        long deadline = clock.getAsLong() + policy.budget().toNanos();
        for (int n = 1; ; n++) {
            try {
                return attempt.run();
            } catch (FetchException e) {
                if (!e.retryable()) {
                    throw e;
                }
                backoff(n, deadline, e);
            } catch (IOException e) {
                backoff(n, deadline, e);
            }
            beforeRetry.run();
        }
    }

    private <E extends IOException> void backoff(int attempt, long deadline, E failure) throws E, FetchException {
        if (attempt >= policy.maxAttempts() || Thread.currentThread().isInterrupted()) {
            throw failure;
        }
        long base = policy.backoffNanos(attempt);
        long pause = base / 2 + (base < 2 ? 0 : ThreadLocalRandom.current().nextLong(base / 2 + 1));
        if (failure instanceof RetryLaterException later) {
            // The source said when: sooner only hammers it, and a wait past the budget gives up now.
            pause = Math.max(pause, later.retryAfter().toNanos());
        }
        if (clock.getAsLong() + pause >= deadline) {
            throw failure;
        }
        metrics.retried(source, attempt, pause);
        try {
            sleeper.sleep(pause);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            FetchException fe = new FetchException("interrupted while backing off after: " + failure.getMessage(),
                    FetchException.EIO, false, failure);
            throw fe;
        }
    }
}
