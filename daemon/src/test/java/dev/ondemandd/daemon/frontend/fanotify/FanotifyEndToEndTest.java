package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real EROFS mounts on this machine's kernel, their blobs filled lazily through fanotify pre-content events
 * from local files, read back file by file and compared with the source trees.
 */
@Tag("root")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class FanotifyEndToEndTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPreContentEvents() {
        TestImages.assumePreContentEvents();
    }

    private Path mountpoint(String name) throws IOException {
        return Files.createDirectories(dir.resolve("mnt-" + name));
    }

    private static void assertTreeMatches(Path mnt, Map<String, String> sums) throws IOException {
        TestImages.assertTreeMatches(mnt, sums);
    }

    @Test
    void eachBlobIsFilledInItsImagesChunkSizeUnlessAUnitIsConfigured() throws Exception {
        TestImages.Image image = TestImages.get("large"); // mkfs.erofs --chunksize=65536
        List<ImageSpec> specs = List.of(image.spec(mountpoint("large")));
        try (Served served = new Served(specs, dir.resolve("cache"), CoreSettings.defaults())) {
            assertThat(served.server.prepare(0, specs.get(0)).blobs()).singleElement()
                    .satisfies(blob -> assertThat(blob.unitSize()).isEqualTo(65536));
        }
        try (Served served = new Served(specs, dir.resolve("cache2"), CoreSettings.defaults(),
                FanotifySettings.defaults().withUnitSize(1 << 20))) {
            assertThat(served.server.prepare(0, specs.get(0)).blobs()).singleElement()
                    .satisfies(blob -> assertThat(blob.unitSize()).isEqualTo(1 << 20));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chunked", "layers", "large", "small-blob", "compressed"})
    void everyFileReadsBackAsInTheSourceTree(String name) throws Exception {
        TestImages.Image image = TestImages.get(name);
        List<ImageSpec> specs = List.of(image.spec(mountpoint(name)));
        try (Served served = new Served(specs, dir.resolve("cache"), CoreSettings.defaults()).mountAll(specs)) {
            assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
            FanotifyStats stats = served.server.stats();
            assertThat(stats.denied()).isZero();
            assertThat(stats.unknownFile()).isZero();
            assertThat(stats.malformed()).isZero();
            long blobBytes = 0;
            for (Path b : image.blobs()) {
                blobBytes += Files.size(b);
            }
            assertThat(served.fetchedBytes.sum()).as("never more than the blobs").isLessThanOrEqualTo(blobBytes);
            if (blobBytes > 0) {
                assertThat(stats.events()).as("blob reads raise events").isPositive();
            }
        }
    }

    @Test
    void theSelfCheckServesASyntheticBlobThroughTheWholePathAndLeavesNothingBehind() throws Exception {
        Path cache = dir.resolve("cache");
        try (Served served = new Served(List.of(), cache, CoreSettings.defaults())) {
            served.server.selfCheck();
            FanotifyStats stats = served.server.stats();
            assertThat(stats.events()).as("one event per 4 KiB read").isGreaterThanOrEqualTo(
                    FanotifyServer.SELF_CHECK_SIZE / 4096);
            assertThat(stats.denied()).isZero();
            assertThat(served.fetchedBytes.sum()).isEqualTo(FanotifyServer.SELF_CHECK_SIZE);
        }
        try (var left = Files.list(cache)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("meta", "blobs");
        }
    }

    @Test
    void rangesAlreadyFilledAreNotFetchedAgainAcrossARestart() throws Exception {
        TestImages.Image image = TestImages.get("large");
        List<ImageSpec> specs = List.of(image.spec(mountpoint("large")));
        Path cache = dir.resolve("cache");
        long firstFetches;
        try (Served served = new Served(specs, cache, CoreSettings.defaults()).mountAll(specs)) {
            assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
            firstFetches = served.fetches.sum();
            assertThat(firstFetches).isPositive();
            assertThat(served.fetchedBytes.sum()).isLessThanOrEqualTo(Files.size(image.blobs().get(0)));
        }
        try (Served served = new Served(specs, cache, CoreSettings.defaults()).mountAll(specs)) {
            assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
            assertThat(served.fetches.sum()).as("a restart refetches nothing").isZero();
            assertThat(served.server.stats().events()).as("a complete blob is not even marked").isZero();
        }
    }

    @Test
    void aFailingSourceGivesTheReaderEioNotZerosAndNotAHang() throws Exception {
        TestImages.Image image = TestImages.get("large");
        Path source = Files.copy(image.blobs().get(0), dir.resolve("blob-source.img"));
        List<ImageSpec> specs = List.of(image.spec(mountpoint("failing"), List.of(source.toUri())));
        CoreSettings settings = CoreSettings.defaults().withReadDeadline(Duration.ofSeconds(5));
        try (Served served = new Served(specs, dir.resolve("cache"), settings).mountAll(specs)) {
            // The source's size was pinned when the blob was opened; now it loses its bytes.
            try (RandomAccessFile raf = new RandomAccessFile(source.toFile(), "rw")) {
                raf.setLength(0);
            }
            String file = image.sha256().keySet().iterator().next();
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return TestImages.sha256(specs.get(0).mountpoint().resolve(file));
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            assertThatThrownBy(() -> read.get(30, TimeUnit.SECONDS)).hasRootCauseInstanceOf(IOException.class)
                    .rootCause().hasMessageContaining("Input/output error");
            assertThat(served.server.stats().denied()).isPositive();
        }
    }
}
