package dev.ondemandd.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import dev.ondemandd.daemon.core.ReadReply;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.RetryPolicy;
import dev.ondemandd.fetchers.decorators.Decorators;
import dev.ondemandd.fetchers.file.FileFetcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives the real core over real files and scrapes {@code /metrics} over HTTP while and after it works: the
 * counters must equal the requests driven.
 */
class MetricsHttpTest {

    private static final int PAGE = CoreSettings.PAGE_SIZE;

    @TempDir
    Path blobs;

    private final Metrics metrics = Metrics.create();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Core core;

    @AfterEach
    void close() {
        if (core != null) {
            core.close();
        }
        metrics.close();
    }

    private Core startCore() throws Exception {
        FetcherRegistry fetchers = FetcherRegistry.of(
                Decorators.standard(new FileFetcher(), "local", RetryPolicy.NONE, metrics.daemon()));
        SourceResolver resolver = new SourceResolver(
                List.of(SourceRule.of("erofs,*", "*", blobs.toUri() + "{cookie}")), fetchers);
        // Exact fetches: the counts below are per READ (amplification and read-ahead are FetchShapingTest's).
        core = new Core(CoreSettings.defaults().withBufferSize(2 * PAGE).withFetch(FetchPolicy.exact()), resolver,
                metrics.daemon());
        metrics.daemon().watch(core::stats);
        return core;
    }

    private String scrape(String accept) throws Exception {
        InetSocketAddress at = metrics.address().orElseThrow();
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + at.getPort() + MetricsServer.PATH)).timeout(Duration.ofSeconds(10));
        if (accept != null) {
            request.header("Accept", accept);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).isEqualTo(accept == null ? MetricsServer.TEXT : MetricsServer.OPENMETRICS));
        return response.body();
    }

    private static ObjectHandle open(Core core, String cookie) throws Exception {
        CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
        core.open(ObjectKey.of("erofs,img", cookie), new MemoryTarget(1 << 20), new OpenReply() {
            @Override
            public void opened(ObjectHandle handle) {
                opened.complete(handle);
            }

            @Override
            public void failed(int errno) {
                opened.complete(null);
            }
        });
        return opened.get(10, TimeUnit.SECONDS);
    }

    private static CompletableFuture<Integer> read(ObjectHandle handle, long offset, long length) {
        CompletableFuture<Integer> answer = new CompletableFuture<>();
        handle.read(offset, length, new ReadReply() {
            @Override
            public void filled() {
                answer.complete(0);
            }

            @Override
            public void failed(int errno) {
                answer.complete(errno);
            }
        });
        return answer;
    }

    @Test
    void countersMatchTheRequestsDrivenThroughTheCore() throws Exception {
        byte[] content = new byte[8 * PAGE];
        new Random(7).nextBytes(content);
        Files.write(blobs.resolve("a"), content);
        Files.write(blobs.resolve("b"), content);
        metrics.serve("127.0.0.1:0");
        Core core = startCore();

        ScrapeText before = new ScrapeText(scrape(null));
        assertThat(before.require("ondemandd_requests_total{op=\"read\",result=\"filled\"}")).isZero();

        ObjectHandle a = open(core, "a");
        ObjectHandle b = open(core, "b");
        assertThat(open(core, "missing")).isNull();
        List<CompletableFuture<Integer>> reads = new ArrayList<>();
        for (int page = 0; page < 8; page++) {
            reads.add(read(a, (long) page * PAGE, PAGE));
        }
        reads.add(read(b, 0, 3 * PAGE)); // one READ, fetched in two steps of the 2-page buffer
        for (CompletableFuture<Integer> r : reads) {
            assertThat(r.get(10, TimeUnit.SECONDS)).isZero();
        }
        // listeners run right after the answers: poll the scrape until it settles, as Prometheus would
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ScrapeText during = new ScrapeText(scrape(null));
            assertThat(during.require("ondemandd_requests_total{op=\"open\",result=\"ok\"}")).isEqualTo(2);
            assertThat(during.require("ondemandd_open_failures_total{errno=\"ENOENT\"}")).isEqualTo(1);
            assertThat(during.require("ondemandd_requests_total{op=\"read\",result=\"filled\"}")).isEqualTo(9);
            assertThat(during.require("ondemandd_request_duration_seconds_count{op=\"read\",result=\"filled\"}"))
                    .isEqualTo(9);
            assertThat(during.require("ondemandd_requested_bytes_total")).isEqualTo(11 * PAGE);
            assertThat(during.require("ondemandd_fetched_bytes_total")).isEqualTo(11 * PAGE);
            assertThat(during.require("ondemandd_fetch_duration_seconds_count{result=\"ok\"}")).isEqualTo(10);
            assertThat(during.require("ondemandd_source_read_bytes_total{source=\"local\"}")).isEqualTo(11 * PAGE);
            assertThat(during.require(
                    "ondemandd_source_errors_total{errno=\"ENOENT\",op=\"open\",source=\"local\"}")).isEqualTo(1);
            assertThat(during.require("ondemandd_objects_open")).isEqualTo(2);
            assertThat(during.require("ondemandd_requests_queued")).isZero();
            assertThat(during.require("ondemandd_requests_inflight")).isZero();
            assertThat(during.require("ondemandd_read_deadline_exceeded_total")).isZero();
        });

        a.close();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ScrapeText after = new ScrapeText(scrape("application/openmetrics-text; version=1.0.0"));
            assertThat(after.require("ondemandd_requests_total{op=\"close\",result=\"ok\"}")).isEqualTo(1);
            assertThat(after.require("ondemandd_objects_open")).isEqualTo(1);
        });
    }

    @Test
    void exposesJvmAndProcessMetricsAndHistogramBuckets() throws Exception {
        metrics.serve(":0");

        String text = scrape(null);

        assertThat(text).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads ", "process_cpu_usage ",
                "process_uptime_seconds ", "process_files_open_files ",
                "ondemandd_request_duration_seconds_bucket{op=\"read\",result=\"filled\",le=\"0.001\"}",
                "ondemandd_request_duration_seconds_bucket{op=\"read\",result=\"timed_out\",le=\"+Inf\"}");
        assertThat(new ScrapeText(text).require("ondemandd_objects_open")).isNaN();
    }

    @Test
    void answersOnlyGetOnItsPath() throws Exception {
        metrics.serve("127.0.0.1:0");
        int port = metrics.address().orElseThrow().getPort();

        HttpResponse<String> other = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + MetricsServer.PATH)).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(post.statusCode()).isEqualTo(405);
    }
}
