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

/** Filling through the real core from a local file: only the holes of a unit are fetched. */
class SparseBlobFillTest {
    private static final int UNIT = 64 * 1024;

    @TempDir
    Path dir;

    @Test
    void aPartlyFilledUnitFetchesOnlyItsHolesAndEveryUnitEndsIdenticalToTheSource() throws Exception {
        byte[] data = new byte[4 * UNIT];
        new Random(7).nextBytes(data);
        Path source = Files.write(dir.resolve("source"), data);
        Path cache = dir.resolve("cache");
        try (RandomAccessFile raf = new RandomAccessFile(cache.toFile(), "rw")) {
            raf.setLength(data.length);
            raf.seek(UNIT + 8192);
            raf.write(data, UNIT + 8192, 8192);   // two pages of unit 1, as a crashed run may leave them
        }
        LongAdder fetched = new LongAdder();
        CoreListener counter = new CoreListener() {
            @Override
            public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                fetched.add(length);
            }
        };
        FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher());
        ObjectKey key = ObjectKey.of("fanotify", "blob");
        // As FanotifyServer opens blobs: the frontend widens to its units, the core fetches each hole as asked.
        try (Core core = new Core(CoreSettings.defaults().withFetch(FanotifySettings.coreFetch(FetchPolicy.defaults())),
                new SourceResolver(List.of(SourceRule.of("fanotify", "blob", source.toUri().toString())), fetchers),
                counter)) {
            SparseBlob blob = SparseBlob.open(cache, data.length, UNIT);
            CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
            core.open(key, blob, new OpenReply() {
                @Override
                public void opened(ObjectHandle handle) {
                    opened.complete(handle);
                }

                @Override
                public void failed(int errno) {
                    opened.completeExceptionally(new AssertionError("errno " + errno));
                }
            });
            ObjectHandle handle = opened.get(10, TimeUnit.SECONDS);
            blob.attach(handle);
            int fd = Posix.open(cache.toString(), Posix.O_RDWR | Posix.O_CLOEXEC);
            blob.adoptWriter(fd);
            Posix.close(fd);
            assertThat(blob.filledUnits()).isZero();

            CountDownLatch done = new CountDownLatch(4);
            AtomicInteger failures = new AtomicInteger();
            for (int u = 0; u < 4; u++) {
                assertThat(blob.claim(u, errno -> {
                    if (errno != 0) {
                        failures.incrementAndGet();
                    }
                    done.countDown();
                })).isEqualTo(SparseBlob.Claim.STARTED);
                blob.fill(u);
            }
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).hasValue(0);
            assertThat(blob.isComplete()).isTrue();
            assertThat(fetched.sum()).as("the two pages already there are not fetched").isEqualTo(4L * UNIT - 8192);
            assertThat(Files.readAllBytes(cache)).isEqualTo(data);
            handle.close();
        }
    }
}
