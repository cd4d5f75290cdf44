package dev.ondemandd.daemon.frontend.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.SimObject;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of READs against a source that holds every fetch: the real cachefiles frontend and core on the
 * simulated kernel queue them all. The bytes in flight stay the fixed buffer pool (direct memory does not move);
 * each queued READ costs the heap a small, constant amount, and all of it is given back once the source lets go.
 * Figures are printed (heap per queued READ, direct memory before and during the flood).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HeapUnderReadFloodTest {

    private static final int READS = 10_000;
    private static final long OBJECT_SIZE = (long) READS * 4096;
    /** Generous: a queued READ is a task record plus the kernel message it came in. */
    private static final long MAX_HEAP_PER_READ = 2048;

    @TempDir
    Path dir;

    /** Serves zeros of {@link #OBJECT_SIZE} bytes for {@code held:} URLs, each read waiting for the gate. */
    private static final class HeldFetcher implements Fetcher {
        final CountDownLatch gate = new CountDownLatch(1);

        @Override
        public Set<String> schemes() {
            return Set.of("held");
        }

        @Override
        public Blob open(URI location) {
            return new Blob() {
                @Override
                public long size() {
                    return OBJECT_SIZE;
                }

                @Override
                public void read(long offset, ByteBuffer dst) throws java.io.InterruptedIOException {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException("deadline");
                    }
                    while (dst.hasRemaining()) {
                        dst.put((byte) 0);
                    }
                }

                @Override
                public String describe() {
                    return "held " + location;
                }
            };
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    @Test
    void queuedReadsCostASmallConstantHeapAndBytesInFlightStayThePool() throws Exception {
        HeldFetcher source = new HeldFetcher();
        SourceResolver resolver = new SourceResolver(List.of(SourceRule.of("erofs,*", "*", "held:///{cookie}")),
                FetcherRegistry.of(source));
        CoreSettings settings = CoreSettings.defaults().withReadDeadline(Duration.ofMinutes(2));
        SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
        CachefilesService service = new CachefilesService(kernel, settings, resolver, CoreListener.none());
        try {
            service.start(dir.toString(), "flood");
            SimObject object = ((OpenResult.Opened) kernel.open("erofs,flood", "blob".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(20))).object();
            long heapBefore = usedHeapAfterGc();
            long directBefore = directBytes();

            for (int i = 0; i < READS; i++) {
                kernel.injectRead(object, (long) i * 4096, 4096);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (service.core().stats().queuedReads() + service.core().stats().runningReads() < READS
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(service.core().stats().queuedReads() + service.core().stats().runningReads())
                    .as("every READ of the flood taken up").isEqualTo(READS);
            long heapFlooded = usedHeapAfterGc();
            long directFlooded = directBytes();

            source.gate.countDown();
            while (kernel.stats().outstanding() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(kernel.stats().outstanding()).as("the flood drained").isZero();
            long heapAfter = usedHeapAfterGc();

            long perRead = (heapFlooded - heapBefore) / READS;
            System.out.printf(Locale.ROOT, "flood of %,d READs queued: heap %+,d bytes (%,d bytes per READ), after"
                    + " drain %+,d bytes; direct memory %,d -> %,d bytes%n", READS, heapFlooded - heapBefore, perRead,
                    heapAfter - heapBefore, directBefore, directFlooded);
            assertThat(perRead).as("heap per queued READ").isLessThan(MAX_HEAP_PER_READ);
            assertThat(directFlooded - directBefore).as("bytes in flight: the fixed pool, nothing per READ")
                    .isLessThan((long) settings.concurrency() * settings.bufferSize() / 4 + (1 << 20));
            assertThat(heapAfter - heapBefore).as("given back after the drain").isLessThan((long) READS * 64);
        } finally {
            source.gate.countDown();
            service.close();
            kernel.shutdown();
        }
    }
}
