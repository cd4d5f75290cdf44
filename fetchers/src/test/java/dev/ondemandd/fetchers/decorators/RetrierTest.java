package dev.ondemandd.fetchers.decorators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.RetryPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RetrierTest {

    private final AtomicLong now = new AtomicLong();
    private final List<Long> pauses = new ArrayList<>();

    private Retrier retrier(RetryPolicy policy) {
        return new Retrier(policy, FetchMetrics.NONE, "t", now::get, nanos -> {
            pauses.add(nanos);
            now.addAndGet(nanos);
        });
    }

    @Test
    void backoffDoublesUpToTheCapWithEqualJitter() throws Exception {
        RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofMinutes(1));
        AtomicInteger tries = new AtomicInteger();
        String result = retrier(policy).call(() -> {
            if (tries.incrementAndGet() < 6) {
                throw new FetchException("busy", FetchException.EIO, true);
            }
            return "ok";
        }, () -> { });

        assertThat(result).isEqualTo("ok");
        long[] bases = {100, 200, 300, 300, 300};
        assertThat(pauses).hasSize(5);
        for (int i = 0; i < bases.length; i++) {
            long base = Duration.ofMillis(bases[i]).toNanos();
            assertThat(pauses.get(i)).isBetween(base / 2, base);
        }
    }

    @Test
    void nonRetryableFailureIsThrownAtOnce() {
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> retrier(RetryPolicy.DEFAULT).call(() -> {
            tries.incrementAndGet();
            throw new FetchException("gone", FetchException.ENOENT, false);
        }, () -> { })).hasMessage("gone");
        assertThat(tries).hasValue(1);
    }

    @Test
    void budgetStopsRetriesBeforeTheDeadline() {
        RetryPolicy policy = new RetryPolicy(20, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(2500));
        AtomicInteger tries = new AtomicInteger();
        assertThatThrownBy(() -> retrier(policy).call(() -> {
            tries.incrementAndGet();
            now.addAndGet(Duration.ofMillis(100).toNanos());
            throw new IOException("reset");
        }, () -> { })).hasMessage("reset");
        assertThat(now.get()).isLessThanOrEqualTo(Duration.ofMillis(2500).toNanos() + Duration.ofMillis(100).toNanos());
        assertThat(tries.get()).isBetween(2, 4);
    }

    @Test
    void interruptStopsTheBackoff() {
        Retrier r = new Retrier(RetryPolicy.DEFAULT, FetchMetrics.NONE, "t", System::nanoTime, nanos -> {
            throw new InterruptedException();
        });
        assertThatThrownBy(() -> r.call(() -> {
            throw new FetchException("busy", FetchException.EIO, true);
        }, () -> { })).isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.retryable()).isFalse());
        assertThat(Thread.interrupted()).isTrue();
    }
}
