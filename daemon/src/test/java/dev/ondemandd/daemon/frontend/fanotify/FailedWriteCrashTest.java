package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.CoreSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash between a failed write and its punch, on a real full ext4 (a loop device, as CacheFullEndToEndTest):
 * the first run fills the cache until writes fail (ENOSPC) and dies before punching them out (the seam
 * {@code SparseBlob.crashBeforePunchForTest}), which leaves blocks allocated with bytes that are not the blob's.
 * The second run, with space back, must serve every file right: a unit is trusted only when its fill record says it
 * was written whole, not because the file holds it as data.
 */
@Tag("root")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class FailedWriteCrashTest {

    private static final long MIB = 1 << 20;
    private static final long ROOM = 16 * MIB;

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootPreContentEventsAndExt4() {
        TestImages.assumePreContentEventsAndMkfsExt4();
    }

    @Test
    void aRestartAfterACrashBeforeThePunchServesEveryFileRight() throws Exception {
        TestImages.Image image = TestImages.get("large");
        Path fsImage = dir.resolve("cache.ext4");
        Path fs = Files.createDirectories(dir.resolve("cachefs"));
        CacheFullEndToEndTest.run("truncate", "-s", "96M", fsImage.toString());
        CacheFullEndToEndTest.run("mkfs.ext4", "-q", "-F", "-m", "0", fsImage.toString());
        CacheFullEndToEndTest.run("mount", "-o", "loop", fsImage.toString(), fs.toString());
        try {
            Path ballast = fs.resolve("ballast");
            CacheFullEndToEndTest.run("fallocate", "-l",
                    Long.toString(Files.getFileStore(fs).getUsableSpace() - ROOM), ballast.toString());
            List<ImageSpec> specs = List.of(image.spec(Files.createDirectories(dir.resolve("mnt"))));
            Path mnt = specs.get(0).mountpoint();
            Path cache = fs.resolve("cache");
            CoreSettings settings = CoreSettings.defaults().withReadDeadline(Duration.ofSeconds(10));

            SparseBlob.crashBeforePunchForTest = true;
            long failedReads;
            try (Served first = new Served(specs, cache, settings).mountAll(specs)) {
                failedReads = CacheFullEndToEndTest.readAll(mnt, image.sha256()).values().stream()
                        .filter(v -> v.startsWith("error:")).count();
            } finally {
                SparseBlob.crashBeforePunchForTest = false;
            }
            List<Long> leftover = CacheFullEndToEndTest.wrongPagesInCache(cache, image.blobs().get(0));
            Files.delete(ballast);

            Map<String, String> after;
            long refetched;
            try (Served second = new Served(specs, cache, settings).mountAll(specs)) {
                after = CacheFullEndToEndTest.readAll(mnt, image.sha256());
                refetched = second.fetchedBytes.sum();
            }
            System.out.printf(java.util.Locale.ROOT, "crash before the punch: %d reads failed on the full cache,"
                    + " %d pages of wrong bytes left in the cache file; restart fetched %d bytes%n", failedReads,
                    leftover.size(), refetched);
            assertThat(failedReads).as("the first run found the cache full").isPositive();
            assertThat(after).as("every file right after the restart").isEqualTo(image.sha256());
            assertThat(CacheFullEndToEndTest.wrongPagesInCache(cache, image.blobs().get(0)))
                    .as("no wrong page left in the cache file").isEmpty();
        } finally {
            CacheFullEndToEndTest.run("umount", fs.toString());
        }
    }
}
