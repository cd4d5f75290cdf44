package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Filling through the real core from a local file across runs: a unit is trusted only when recorded whole. */
class SparseBlobFillTest {
    private static final int UNIT = 64 * 1024;

    @TempDir
    Path dir;

    /**
     * The crash between a failed write and its punch: a run fills units 0 and 2 (recorded whole), then its write
     * of unit 1's second half fails for want of space leaving blocks allocated with bytes that are not the blob's
     * (what ext4 was seen to do, CacheFullEndToEndTest), and the daemon dies before it punches them out. Unit 1 now
     * looks written whole. The next run must trust units 0 and 2 only, fetch 1 and 3 whole, and end with the
     * source's bytes everywhere.
     */
    @Test
    void aUnitACrashLeftLookingWrittenButWithWrongBytesIsFetchedWholeAgain() throws Exception {
        byte[] data = new byte[4 * UNIT];
        new Random(7).nextBytes(data);
        Path source = Files.write(dir.resolve("source"), data);
        Path cache = dir.resolve("cache");

        try (Run first = new Run(source, cache, data.length)) {
            first.fill(0, 2);
            assertThat(first.fetched.sum()).isEqualTo(2L * UNIT);
        }
        try (RandomAccessFile raf = new RandomAccessFile(cache.toFile(), "rw")) {
            raf.seek(UNIT);
            raf.write(data, UNIT, UNIT / 2);               // the writes of unit 1 that landed
            byte[] leftover = new byte[UNIT / 2];
            java.util.Arrays.fill(leftover, (byte) 0x5a);   // the failed write's allocated blocks, never punched
            raf.write(leftover);
        }
        assertThat(allData(cache, UNIT, 2 * UNIT)).as("unit 1 looks written whole to a hole query").isTrue();

        try (Run second = new Run(source, cache, data.length)) {
            assertThat(second.blob.filledUnits()).isEqualTo(2);
            assertThat(second.blob.isFilled(1)).isFalse();
            second.fill(1, 3);
            assertThat(second.blob.isComplete()).isTrue();
            assertThat(second.fetched.sum()).as("units 1 and 3, whole").isEqualTo(2L * UNIT);
        }
        assertThat(Files.readAllBytes(cache)).isEqualTo(data);
        try (Run third = new Run(source, cache, data.length)) {
            assertThat(third.blob.isComplete()).as("everything recorded whole now: nothing fetched again").isTrue();
        }
    }

    private static boolean allData(Path file, long from, long to) throws Exception {
        int fd = Posix.open(file.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
        try {
            return Posix.seekData(fd, from) == from && Posix.seekHole(fd, from) >= to;
        } finally {
            Posix.close(fd);
        }
    }

    /** One daemon run over the blob, as FanotifyServer opens it: the core fetching from a local file. */
    private static final class Run implements AutoCloseable {
        final LongAdder fetched = new LongAdder();
        final Core core;
        final SparseBlob blob;
        final ObjectHandle handle;

        Run(Path source, Path cache, long size) throws Exception {
            CoreListener counter = new CoreListener() {
                @Override
                public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                    fetched.add(length);
                }
            };
            core = new Core(CoreSettings.defaults().withFetch(FanotifySettings.coreFetch(FetchPolicy.defaults())),
                    new SourceResolver(List.of(SourceRule.of("fanotify", "blob", source.toUri().toString())),
                            FetcherRegistry.of(new FileFetcher())), counter);
            blob = SparseBlob.open(cache, size, UNIT);
            CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
            core.open(ObjectKey.of("fanotify", "blob"), blob, new OpenReply() {
                @Override
                public void opened(ObjectHandle h) {
                    opened.complete(h);
                }

                @Override
                public void failed(int errno) {
                    opened.completeExceptionally(new AssertionError("errno " + errno));
                }
            });
            handle = opened.get(10, TimeUnit.SECONDS);
            blob.attach(handle);
            int fd = Posix.open(cache.toString(), Posix.O_RDWR | Posix.O_CLOEXEC);
            blob.adoptWriter(fd);
            Posix.close(fd);
        }

        void fill(int... units) throws InterruptedException {
            CountDownLatch done = new CountDownLatch(units.length);
            AtomicInteger failures = new AtomicInteger();
            for (int u : units) {
                assertThat(blob.claim(u, errno -> {
                    if (errno != 0) {
                        failures.incrementAndGet();
                    }
                    done.countDown();
                })).isEqualTo(SparseBlob.Claim.STARTED);
                blob.fill(u);
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).hasValue(0);
        }

        @Override
        public void close() throws Exception {
            handle.close();   // the core closes its target, the blob, once the object is released
            core.close();
        }
    }
}
