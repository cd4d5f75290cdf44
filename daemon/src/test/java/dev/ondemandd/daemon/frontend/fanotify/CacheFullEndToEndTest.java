package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.cache.CacheSpace;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.testing.LogCapture;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cache directory on a small ext4 filesystem (a loop device, made and removed here; tmpfs raises no
 * pre-content events) that fills up while a 64 MiB blob is read: readers get EIO, never zeros and never a hang;
 * one ERROR line says what to do; once space returns, every file reads back right.
 */
@Tag("root")
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class CacheFullEndToEndTest {

    private static final long MIB = 1 << 20;
    /** Room left for the cache: less than the blob, more than its metadata image. */
    private static final long ROOM = 16 * MIB;
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootPreContentEventsAndExt4() {
        TestImages.assumePreContentEventsAndMkfsExt4();
    }

    static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", command) + ": " + out)
                .isTrue();
    }

    /** Reads every file with a bound: its sha256, or the read's error; a read that does not end fails the test. */
    static Map<String, String> readAll(Path mnt, Map<String, String> sums) throws Exception {
        Map<String, String> got = new java.util.LinkedHashMap<>();
        for (String file : sums.keySet()) {
            CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return TestImages.sha256(mnt.resolve(file));
                } catch (IOException e) {
                    return "error: " + e.getMessage();
                }
            });
            got.put(file, read.get(DEADLINE.toSeconds() * 4, TimeUnit.SECONDS));
        }
        return got;
    }

    /** The offsets of pages the cache file holds (data extents) whose bytes differ from the source blob. */
    static java.util.List<Long> wrongPagesInCache(Path cache, Path source) throws IOException {
        java.util.List<Long> wrong = new java.util.ArrayList<>();
        try (var blobs = Files.list(cache.resolve("blobs"))) {
            for (Path blob : blobs.filter(p -> p.toString().endsWith(".blob")).toList()) {
                if (Files.size(blob) != Files.size(source)) {
                    continue;
                }
                try (var fd = dev.ondemandd.protocol.nativeio.NativeFile.open(blob.toString(),
                        dev.ondemandd.protocol.nativeio.Posix.O_RDONLY);
                        var src = java.nio.channels.FileChannel.open(source);
                        var got = java.nio.channels.FileChannel.open(blob)) {
                    long size = Files.size(blob);
                    java.nio.ByteBuffer a = java.nio.ByteBuffer.allocate(4096);
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
                    long pos = 0;
                    while (pos < size) {
                        long data = fd.seekData(pos);
                        if (data < 0) {
                            break;
                        }
                        long end = Math.min(size, fd.seekHole(data));
                        for (long p = data; p < end; p += 4096) {
                            a.clear();
                            b.clear();
                            src.read(a, p);
                            got.read(b, p);
                            if (!a.flip().equals(b.flip())) {
                                wrong.add(p);
                            }
                        }
                        pos = end;
                    }
                }
            }
        }
        return wrong;
    }

    @Test
    void aFullCacheGivesReadersEioAndOneLineAndEveryFileReadsRightOnceSpaceReturns() throws Exception {
        TestImages.Image image = TestImages.get("large");
        assumeTrue(Files.size(image.blobs().get(0)) > 2 * ROOM, "the large image's blob must not fit");
        Path fsImage = dir.resolve("cache.ext4");
        Path fs = Files.createDirectories(dir.resolve("cachefs"));
        run("truncate", "-s", "96M", fsImage.toString());
        run("mkfs.ext4", "-q", "-F", "-m", "0", fsImage.toString());
        run("mount", "-o", "loop", fsImage.toString(), fs.toString());
        try (LogCapture log = LogCapture.of(CacheSpace.class)) {
            Path ballast = fs.resolve("ballast");
            long usable = Files.getFileStore(fs).getUsableSpace();
            run("fallocate", "-l", Long.toString(usable - ROOM), ballast.toString());
            List<ImageSpec> specs = List.of(image.spec(Files.createDirectories(dir.resolve("mnt"))));
            Path mnt = specs.get(0).mountpoint();
            CoreSettings settings = CoreSettings.defaults().withReadDeadline(DEADLINE);
            Map<String, String> after;
            try (Served served = new Served(specs, fs.resolve("cache"), settings).mountAll(specs)) {
                Map<String, String> full = readAll(mnt, image.sha256());

                long failed = full.values().stream().filter(v -> v.startsWith("error:")).count();
                assertThat(failed).as("reads that found the cache full").isPositive();
                assertThat(full.values().stream().filter(v -> v.startsWith("error:")))
                        .allMatch(v -> v.contains("Input/output error"));
                full.forEach((file, sum) -> {
                    if (!sum.startsWith("error:")) {
                        assertThat(sum).as(file + " read while the cache was full").isEqualTo(image.sha256().get(file));
                    }
                });
                assertThat(served.server.stats().denied()).isPositive();
                System.out.printf(java.util.Locale.ROOT, "cache full (%d MiB free for a %d MiB blob): %d of %d files"
                        + " EIO, %d events denied, %d bytes filled%n", ROOM / MIB,
                        Files.size(image.blobs().get(0)) / MIB, failed, full.size(),
                        served.server.stats().denied(), served.fetchedBytes.sum());
                List<LogRecord> errors = log.at(Level.SEVERE).toList();
                assertThat(errors).as("one line per episode").hasSize(1);
                assertThat(errors.get(0).getMessage()).contains("is full (ENOSPC)").contains("free space");

                Files.delete(ballast);
                after = readAll(mnt, image.sha256());
            }
            // Unmounted and unmarked: the cache file can be read without raising events.
            assertThat(wrongPagesInCache(fs.resolve("cache"), image.blobs().get(0))).as("cache pages").isEmpty();
            assertThat(after).as("every file right once space returned").isEqualTo(image.sha256());
            assertThat(log.at(Level.INFO).map(LogRecord::getMessage)).anyMatch(m -> m.contains("has room again"));
        } finally {
            run("umount", fs.toString());
        }
    }
}
