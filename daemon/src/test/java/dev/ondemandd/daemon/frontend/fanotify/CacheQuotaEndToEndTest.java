package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.cache.CacheJanitor;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache quota on real mounts: what a mounted image uses survives a quota of one byte; once released it is
 * evicted, and mounting the image again creates its blob sparse and fetches it again, with the right bytes.
 */
@Tag("root")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CacheQuotaEndToEndTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPreContentEvents() {
        TestImages.assumePreContentEvents();
    }

    @Test
    void blobsInUseAreKeptAndAnEvictedBlobIsFetchedAgainRight() throws Exception {
        TestImages.Image image = TestImages.get("chunked");
        List<ImageSpec> specs = List.of(image.spec(Files.createDirectories(dir.resolve("mnt"))));
        Path cache = dir.resolve("cache");
        long firstFetched;
        try (Served served = new Served(specs, cache, CoreSettings.defaults()).mountAll(specs)) {
            TestImages.assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
            firstFetched = served.fetchedBytes.sum();
            assertThat(firstFetched).isPositive();

            CacheJanitor.Pass pass = new CacheJanitor(cache, 1, served.server::withCacheFilesInUse,
                    Clock.systemUTC()).pass();

            assertThat(pass.evicted()).as("everything is in use").isEmpty();
            assertThat(pass.inUseBytes()).isGreaterThanOrEqualTo(firstFetched);
            TestImages.assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
        }

        CacheJanitor.Pass released = new CacheJanitor(cache, 1, inUse -> inUse.accept(Set.of()), Clock.systemUTC())
                .pass();

        assertThat(released.evicted()).hasSize(image.blobs().size() + 1);
        assertThat(released.bytesAfter()).isZero();
        try (var left = Files.list(cache.resolve("blobs"))) {
            assertThat(left.toList()).isEmpty();
        }
        try (Served served = new Served(specs, cache, CoreSettings.defaults()).mountAll(specs)) {
            TestImages.assertTreeMatches(specs.get(0).mountpoint(), image.sha256());
            assertThat(served.fetchedBytes.sum()).as("fetched again, as much as the first time")
                    .isEqualTo(firstFetched);
        }
    }
}
