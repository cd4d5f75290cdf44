package dev.ondemandd.daemon.frontend.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
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
 * A flood of READs against a source that holds every fetch, through the real cachefiles frontend and core on the
 * simulated kernel. The core takes READs in only up to its bound on bytes in flight ({@code maxBytesInFlight}, 4 MiB
 * here): past it the frontend stops reading requests and the kernel holds the rest, so what the daemon holds does
 * not grow with the flood. The bytes being fetched stay the fixed buffer pool (direct memory does not move); every
 * READ is answered once the source lets go. Figures are printed (READs taken in, heap per pending READ with the
 * simulated kernel's own share, direct memory).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HeapUnderReadFloodTest {

    private static final int READS = 10_000;
    private static final long OBJECT_SIZE = (long) READS * 4096;
    /** The bound on bytes in flight the flood meets. */
    private static final long BOUND = 4L << 20;
    /** Generous, per READ pending: the simulated kernel's request, and for those taken in the core's task. */
    private static final long MAX_HEAP_PER_READ = 1024;

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
        CoreSettings settings = CoreSettings.defaults().withReadDeadline(Duration.ofMinutes(2))
                .withFetch(new FetchPolicy(CoreSettings.PAGE_SIZE, 0, true, BOUND, 0));
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
            long takenIn = -1;
            // Taken in until the bound: the count stops moving while the source holds everything.
            for (long seen = -2; takenIn != seen && System.nanoTime() < deadline; Thread.sleep(500)) {
                seen = takenIn;
                takenIn = (long) service.core().stats().queuedReads() + service.core().stats().runningReads();
            }
            long maxTakenIn = BOUND / 4096 + 1;
            assertThat(takenIn).as("READs the core took in").isPositive().isLessThanOrEqualTo(maxTakenIn);
            assertThat(service.core().bytesInFlight()).isLessThanOrEqualTo(BOUND);
            assertThat(kernel.stats().outstanding()).as("the rest wait in the kernel").isEqualTo(READS);
            long heapFlooded = usedHeapAfterGc();
            long directFlooded = directBytes();

            source.gate.countDown();
            while (kernel.stats().outstanding() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(kernel.stats().outstanding()).as("the flood drained").isZero();
            long heapAfter = usedHeapAfterGc();

            long perRead = (heapFlooded - heapBefore) / READS;
            System.out.printf(Locale.ROOT, "flood of %,d READs against a %,d-byte bound: %,d taken in, the rest held"
                    + " by the kernel; heap %+,d bytes (%,d per pending READ, simulated kernel included), after drain"
                    + " %+,d bytes; direct memory %,d -> %,d bytes%n", READS, BOUND, takenIn, heapFlooded - heapBefore,
                    perRead, heapAfter - heapBefore, directBefore, directFlooded);
            assertThat(perRead).as("heap per pending READ").isLessThan(MAX_HEAP_PER_READ);
            assertThat(directFlooded - directBefore).as("bytes in flight: the fixed pool, nothing per READ")
                    .isLessThan(1 << 20);
        } finally {
            source.gate.countDown();
            service.close();
            kernel.shutdown();
        }
    }
}
