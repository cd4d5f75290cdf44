package dev.ondemandd.fetchers.nfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.testing.GaneshaServer;
import dev.ondemandd.fetchers.testing.Packages;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NFS fetcher (libnfs over JNA, NFSv4, no kernel mount) against a real nfs-ganesha on loopback. */
@Tag("server")
@Tag("root")
class NfsFetcherTest {

    private static final int SIZE = 5 * 1024 * 1024 + 123;
    private static final byte[] CONTENT = TestBytes.of(SIZE, 21);
    private static final SourceOptions OPTIONS = SourceOptions.DEFAULTS.toBuilder()
            .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)).maxConcurrency(4).build();

    @TempDir
    static Path work;
    private static Path export;
    private static GaneshaServer ganesha;
    private static NfsFetcher fetcher;

    @BeforeAll
    static void start() throws Exception {
        export = Files.createDirectories(work.resolve("export/images"));
        Files.write(export.resolve("blob"), CONTENT);
        ganesha = GaneshaServer.start(work.resolve("export"), work);
        fetcher = new NfsFetcher(OPTIONS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (ganesha != null) {
            ganesha.close();
        }
    }

    private static URI url(String file) {
        return URI.create("nfs://127.0.0.1:" + ganesha.port() + GaneshaServer.PSEUDO + "/images/" + file);
    }

    private static byte[] read(Blob blob, long offset, int length, boolean direct) throws Exception {
        ByteBuffer dst = direct ? ByteBuffer.allocateDirect(length) : ByteBuffer.allocate(length);
        blob.read(offset, dst);
        assertThat(dst.hasRemaining()).isFalse();
        byte[] out = new byte[length];
        dst.flip().get(out);
        return out;
    }

    @Test
    void rangesSmallerAndLargerThanOneMebibyteAreRight() throws Exception {
        try (Blob blob = fetcher.open(url("blob"))) {
            assertThat(blob.size()).isEqualTo(SIZE);
            assertThat(read(blob, 0, 4096, true)).isEqualTo(TestBytes.range(CONTENT, 0, 4096));
            assertThat(read(blob, 1000, 1024 * 1024, true)).isEqualTo(TestBytes.range(CONTENT, 1000, 1024 * 1024));
            assertThat(read(blob, 333_333, 3 * 1024 * 1024 + 7, true))
                    .isEqualTo(TestBytes.range(CONTENT, 333_333, 3 * 1024 * 1024 + 7));
            assertThat(read(blob, 2_000_000, 2 * 1024 * 1024, false))
                    .isEqualTo(TestBytes.range(CONTENT, 2_000_000, 2 * 1024 * 1024));
            assertThat(read(blob, SIZE - 1, 1, false)).isEqualTo(TestBytes.range(CONTENT, SIZE - 1, 1));
        }
    }

    @Test
    void wholeBlobInOneReadIsRight() throws Exception {
        try (Blob blob = fetcher.open(url("blob"))) {
            assertThat(read(blob, 0, SIZE, true)).isEqualTo(CONTENT);
        }
    }

    @Test
    void concurrentReadsUseAPoolOfSessionsAndAllAreRight() throws Exception {
        try (Blob blob = fetcher.open(url("blob")); ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> reads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long offset = i * 300_001L;
                reads.add(pool.submit(() -> read(blob, offset, 300_000, true)));
            }
            for (int i = 0; i < reads.size(); i++) {
                assertThat(reads.get(i).get()).isEqualTo(TestBytes.range(CONTENT, i * 300_001L, 300_000));
            }
        }
    }

    @Test
    void missingFileIsEnoent() {
        assertThatThrownBy(() -> fetcher.open(url("missing")))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.ENOENT));
    }

    @Test
    void aBlobThatChangesWhileServedIsRefusedNotMixed() throws Exception {
        Path file = export.resolve("changing");
        Files.write(file, TestBytes.of(100_000, 3));
        try (Blob blob = fetcher.open(url("changing"))) {
            assertThat(read(blob, 0, 10, true)).isEqualTo(TestBytes.range(TestBytes.of(100_000, 3), 0, 10));

            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(60)));
            assertThatThrownBy(() -> read(blob, 10, 10, true)).isInstanceOfSatisfying(FetchException.class, e -> {
                assertThat(e.errno()).isEqualTo(FetchException.ESTALE);
                assertThat(e.retryable()).isFalse();
            });
            assertThatThrownBy(() -> read(blob, 0, 10, true)).isInstanceOf(FetchException.class);
        }
    }

    @Test
    void noServerOnThePortIsARetryableEio() throws Exception {
        URI nowhere = URI.create("nfs://127.0.0.1:" + Packages.freePort() + "/export/images/blob");
        long start = System.nanoTime();
        assertThatThrownBy(() -> fetcher.open(nowhere)).isInstanceOfSatisfying(FetchException.class, e -> {
            assertThat(e.errno()).isEqualTo(FetchException.EIO);
            assertThat(e.retryable()).isTrue();
        });
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void urlsWithQueriesOrDotDotAreRefused() {
        for (String bad : List.of("nfs://h/export/a?x=1", "nfs://h/export/../etc/passwd", "nfs://h/", "http://h/x")) {
            assertThatThrownBy(() -> fetcher.open(URI.create(bad))).isInstanceOfSatisfying(FetchException.class,
                    e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
        }
    }
}
