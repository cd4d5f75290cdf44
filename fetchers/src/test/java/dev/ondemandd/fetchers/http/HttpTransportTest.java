package dev.ondemandd.fetchers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The transport's limits against a real HTTP server on loopback. */
@Tag("server")
class HttpTransportTest {

    @Test
    void smallBodiesAreCappedNotBufferedWhole() throws Exception {
        try (RangeServer server = new RangeServer().put("/big", TestBytes.of(100_000, 1)).put("/ok", new byte[10]);
                HttpTransport t = HttpTransport.create(SourceOptions.DEFAULTS)) {
            assertThat(t.exchange("GET", server.uri("/ok"), Map.of(), Authorizer.NONE, CappedBody.handler(1000))
                    .response().body()).hasSize(10);
            assertThatThrownBy(() -> t.exchange("GET", server.uri("/big"), Map.of(), Authorizer.NONE,
                    CappedBody.handler(1000))).isInstanceOf(FetchException.class).hasMessageContaining("larger than 1000");
        }
    }

    @Test
    void redirectLoopsEndAfterTheLimit() throws Exception {
        try (RangeServer server = new RangeServer(); HttpTransport t = HttpTransport.create(SourceOptions.DEFAULTS)) {
            server.redirect("/loop", server.uri("/loop"));
            assertThatThrownBy(() -> t.exchange("GET", server.uri("/loop"), Map.of(), Authorizer.NONE,
                    CappedBody.handler(10))).isInstanceOf(FetchException.class).hasMessageContaining("redirects");
            assertThat(server.seen()).hasSize(HttpTransport.MAX_REDIRECTS + 1);
        }
    }

    /**
     * A fetch must not need the common ForkJoinPool: the JDK's {@code sendAsync} completes through it, so a
     * daemon whose main ran there (1 thread on 2 cores) waited for itself. Every common-pool thread is kept busy
     * (spinning: a blocked one would be compensated) while the fetch runs.
     */
    @Test
    void aRequestCompletesWhileEveryCommonPoolThreadIsBusy() throws Exception {
        int threads = ForkJoinPool.getCommonPoolParallelism();
        CountDownLatch started = new CountDownLatch(threads);
        AtomicBoolean release = new AtomicBoolean();
        for (int i = 0; i < threads; i++) {
            ForkJoinPool.commonPool().execute(() -> {
                started.countDown();
                while (!release.get()) {
                    Thread.onSpinWait();
                }
            });
        }
        SourceOptions quick = SourceOptions.DEFAULTS.toBuilder().timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .build();
        try (RangeServer server = new RangeServer().put("/ok", TestBytes.of(1000, 7));
                HttpTransport t = HttpTransport.create(quick)) {
            started.await();
            assertThat(t.exchange("GET", server.uri("/ok"), Map.of(), Authorizer.NONE, CappedBody.handler(2000))
                    .response().body()).isEqualTo(TestBytes.of(1000, 7));
        } finally {
            release.set(true);
        }
    }
}
