package dev.ondemandd.daemon.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache quota over real (sparse) files: LRU order, files in use untouched, holes not counted. */
class CacheJanitorTest {

    private static final long MIB = 1 << 20;
    private static final Instant NOW = Instant.parse("2026-11-22T04:00:00Z");

    @TempDir
    Path cache;
    private final Set<Path> inUse = new HashSet<>();
    private CacheJanitor.Users users;

    @BeforeEach
    void layout() throws IOException {
        Files.createDirectories(cache.resolve("blobs"));
        Files.createDirectories(cache.resolve("meta"));
        users = action -> action.accept(Set.copyOf(inUse));
    }

    /** A blob cache file of {@code size} bytes with {@code filled} bytes written at its start, last used then. */
    private Path blob(String name, long size, long filled, Instant lastUsed) throws IOException {
        Path p = cache.resolve("blobs").resolve(name + ".blob");
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(size);
            byte[] chunk = new byte[64 * 1024];
            java.util.Arrays.fill(chunk, (byte) 7);
            for (long pos = 0; pos < filled; pos += chunk.length) {
                raf.seek(pos);
                raf.write(chunk, 0, (int) Math.min(chunk.length, filled - pos));
            }
        }
        Files.setLastModifiedTime(p, FileTime.from(lastUsed));
        return p;
    }

    private CacheJanitor janitor(long quota) {
        return new CacheJanitor(cache, quota, users, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void idleBlobsAreEvictedLeastRecentlyUsedFirstUntilTheCacheFits() throws Exception {
        Path oldest = blob("a", 8 * MIB, 2 * MIB, NOW.minusSeconds(3000));
        Path middle = blob("b", 8 * MIB, 2 * MIB, NOW.minusSeconds(2000));
        Path newest = blob("c", 8 * MIB, 2 * MIB, NOW.minusSeconds(1000));

        CacheJanitor.Pass pass = janitor(4 * MIB + 1).pass();

        assertThat(pass.bytesBefore()).as("holes take nothing").isEqualTo(6 * MIB);
        assertThat(pass.evicted()).containsExactly(oldest);
        assertThat(pass.bytesAfter()).isEqualTo(4 * MIB);
        assertThat(middle).exists();
        assertThat(newest).exists();

        assertThat(janitor(2 * MIB).pass().evicted()).containsExactly(middle);
        assertThat(newest).exists();
    }

    @Test
    void filesInUseAreNeverEvictedAndCountAsUsedNow() throws Exception {
        Path usedButOld = blob("a", 4 * MIB, 4 * MIB, NOW.minusSeconds(9000));
        Path idle = blob("b", 4 * MIB, 4 * MIB, NOW.minusSeconds(10));
        Path meta = cache.resolve("meta").resolve("m.erofs");
        Files.write(meta, new byte[4096]);
        Files.setLastModifiedTime(meta, FileTime.from(NOW.minusSeconds(99999)));
        inUse.add(usedButOld);
        inUse.add(meta);

        CacheJanitor.Pass pass = janitor(1).pass();

        assertThat(pass.evicted()).containsExactly(idle);
        assertThat(usedButOld).exists();
        assertThat(meta).exists();
        assertThat(pass.inUseBytes()).isEqualTo(4 * MIB + 4096);
        assertThat(pass.bytesAfter()).as("over the quota: only files in use are left").isEqualTo(4 * MIB + 4096);
        assertThat(Files.getLastModifiedTime(usedButOld).toInstant()).isEqualTo(NOW);

        inUse.clear();
        assertThat(janitor(4 * MIB).pass().evicted()).as("once released, the oldest use goes first")
                .containsExactly(usedButOld);
    }

    @Test
    void underTheQuotaNothingIsEvictedAndOtherFilesAreNotManaged() throws Exception {
        blob("a", 4 * MIB, MIB, NOW.minusSeconds(50));
        Files.write(cache.resolve("blobs").resolve("x.blob.new"), new byte[8192]);
        Files.write(cache.resolve("self-check.src"), new byte[8192]);

        CacheJanitor.Pass pass = janitor(2 * MIB).pass();

        assertThat(pass.evicted()).isEmpty();
        assertThat(pass.bytesBefore()).isEqualTo(MIB);
        assertThat(cache.resolve("blobs").resolve("x.blob.new")).exists();
    }

    @Test
    void thePolicyBreaksTiesByPathAndStopsWhenNothingIdleIsLeft() {
        var a = new LruEviction.Entry(Path.of("/c/a"), 10, 5, false);
        var b = new LruEviction.Entry(Path.of("/c/b"), 10, 5, false);
        var used = new LruEviction.Entry(Path.of("/c/u"), 100, 0, true);

        assertThat(LruEviction.choose(List.of(b, used, a), 0)).containsExactly(a, b);
        assertThat(LruEviction.choose(List.of(b, used, a), 110)).containsExactly(a);
        assertThat(LruEviction.choose(List.of(b, used, a), 120)).isEmpty();
    }
}
