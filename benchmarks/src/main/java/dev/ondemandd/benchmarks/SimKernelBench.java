package dev.ondemandd.benchmarks;

import dev.ondemandd.daemon.cache.CachefilesCuller;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.ReadOutcome;
import dev.ondemandd.daemon.frontend.cachefiles.CachefilesFrontend;
import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimObject;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;

/**
 * P4 and fairness: the real cachefiles frontend and core serving the simulated /dev/cachefiles from an in-memory
 * source, driven through the simulated kernel's filesystem side by many concurrent readers, each reading one
 * fresh 4 KiB page at a time (every read is a hole, so every read is a READ request to the daemon).
 *
 * <pre>
 * java -cp benchmarks.jar dev.ondemandd.benchmarks.SimKernelBench p4 [SECONDS] [READERS]
 * java -cp benchmarks.jar dev.ondemandd.benchmarks.SimKernelBench fairness [SECONDS]
 * </pre>
 *
 * <p>{@code p4}: READERS (default 64) readers on one object, the source answering at once; prints READs/s, the
 * reader's latency (request to data, through the simulated kernel) and the core's dispatch latency (a READ's
 * submission to its answer) at p50 and p99. {@code fairness}: 8 objects under saturation with unequal demand —
 * object i has 4·(i+1) readers (144 READs outstanding; the least-read object still has twice its share of
 * slots outstanding), the source taking {@value #FAIRNESS_SOURCE_MICROS} µs per read, so the 16 fetch slots, not
 * the CPU, run out and READs queue in the core; a first-come dispatcher would give object 8 eight times object
 * 1's share. Prints each object's READs/s and max/min. Bytes read back are checked against the source. The
 * cache files live under {@code -Dbench.dir} (default /dev/shm when present: the page cache, not a disk, is what
 * a cache file write costs here) and are removed afterwards. Both run with {@link FetchPolicy#exact()} (each READ
 * fetches its own page): they measure the dispatcher per READ, not amplification. Readers are virtual threads,
 * as cheap to park as the kernel's sleeping readers; the CPU the whole process used per READ is printed too, the
 * figure that still compares when other work loads the machine.
 */
public final class SimKernelBench {

    private static final int PAGE = 4096;
    /** Each object is this large and sparse; readers never run out of holes. */
    private static final long OBJECT_SIZE = 1L << 40;
    /**
     * Readers move to a fresh object after this many pages of one (128 MiB), and the filesystem lets go of the
     * object two generations back (CLOSE); the daemon's own quota culler ({@link #CACHE_QUOTA}) removes its cache
     * file. Without that the cache grew by ~3 GiB of fresh pages per run, and on a VM whose host backs fresh guest
     * memory lazily a 4 KiB pwrite went from 2.5 to 14 µs as the file grew: the hypervisor was measured, not the
     * daemon. A host that has run a while writes cache pages into memory it has used before.
     */
    private static final long GENERATION_PAGES = (128L << 20) / PAGE;
    private static final int GENERATIONS_KEPT = 2;
    /** cachefiles.quota for the run: a few generations; idle objects beyond it are culled. */
    private static final long CACHE_QUOTA = 512L << 20;
    private static final Duration CULL_INTERVAL = Duration.ofMillis(200);
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Long enough for the JIT to finish compiling the hot path: compilation must not count as the daemon's CPU. */
    private static final Duration WARMUP = Duration.ofSeconds(3);
    private static final int FAIRNESS_OBJECTS = 8;
    /** The fairness run's source latency per read: long enough that fetch slots are the bottleneck. */
    static final long FAIRNESS_SOURCE_MICROS = 2000;
    /** Dispatch latencies kept (a ring; the newest win). */
    private static final int DISPATCH_SAMPLES = 1 << 22;

    private SimKernelBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "p4";
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        Duration measure = Duration.ofMillis((long) (seconds * 1000));
        int code = switch (mode) {
            case "p4" -> p4(measure, args.length > 2 ? Integer.parseInt(args[2]) : 64);
            case "fairness" -> fairness(measure);
            default -> {
                System.err.println("usage: SimKernelBench p4|fairness [SECONDS] [READERS]");
                yield 2;
            }
        };
        System.exit(code);
    }

    private static int p4(Duration measure, int readers) throws Exception {
        int[] perObject = {readers};
        Run run = Run.of(perObject, measure, 0);
        double rate = run.total() / run.seconds;
        System.out.printf(Locale.ROOT, "p4: %d readers, 1 object, concurrency %d: %.0f READs/s (%d in %.2f s);"
                + " read latency p50 %.3f ms p99 %.3f ms; dispatch latency p50 %.3f ms p99 %.3f ms; %d errors;"
                + " cpu %.1f us/READ%n",
                readers, run.concurrency, rate, run.total(), run.seconds, ms(run.readLatency, 0.50),
                ms(run.readLatency, 0.99), ms(run.dispatchLatency, 0.50), ms(run.dispatchLatency, 0.99), run.errors,
                run.cpuNanos / 1e3 / Math.max(1, run.total()));
        return run.errors == 0 ? 0 : 1;
    }

    private static int fairness(Duration measure) throws Exception {
        int[] perObject = new int[FAIRNESS_OBJECTS];
        for (int i = 0; i < perObject.length; i++) {
            perObject[i] = 4 * (i + 1);
        }
        Run run = Run.of(perObject, measure, FAIRNESS_SOURCE_MICROS);
        StringBuilder rates = new StringBuilder();
        double max = 0;
        double min = Double.MAX_VALUE;
        for (int i = 0; i < perObject.length; i++) {
            double r = run.completed[i] / run.seconds;
            max = Math.max(max, r);
            min = Math.min(min, r);
            rates.append(String.format(Locale.ROOT, "%s%.0f", i == 0 ? "" : " ", r));
        }
        System.out.printf(Locale.ROOT, "fairness: %d objects with %s readers, concurrency %d: READs/s per object"
                + " [%s]; max/min %.2f; %d errors%n", perObject.length, Arrays.toString(perObject),
                run.concurrency, rates, min == 0 ? Double.POSITIVE_INFINITY : max / min, run.errors);
        return run.errors == 0 ? 0 : 1;
    }

    /** CPU time of this process so far: under load from others, CPU per READ is the figure that compares. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double ms(long[] sorted, double quantile) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] / 1e6;
    }

    /** One measured run: readers started, warmed up, counted over the window, stopped. */
    private static final class Run {
        long[] completed;
        long[] readLatency;
        long[] dispatchLatency;
        double seconds;
        /** CPU time the whole process (daemon, simulated kernel and readers) used in the window. */
        long cpuNanos;
        long errors;
        int concurrency;

        long total() {
            return Arrays.stream(completed).sum();
        }

        static Run of(int[] readersPerObject, Duration measure, long sourceMicros) throws Exception {
            Path dir = Files.createTempDirectory(baseDir(), "ondemandd-simbench");
            // Exact fetches: every 4 KiB READ is its own fetch, so what is counted is the cost of one READ (a unit
            // or read-ahead would fill the readers' next pages and their reads would never reach the daemon).
            CoreSettings settings = CoreSettings.defaults().withFetch(FetchPolicy.exact());
            DispatchLatency dispatch = new DispatchLatency();
            SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
            Core core = new Core(settings, MemorySource.resolver(OBJECT_SIZE, sourceMicros), dispatch);
            CachefilesFrontend frontend = new CachefilesFrontend(kernel, core);
            Run run = new Run();
            run.concurrency = settings.concurrency();
            CachefilesCuller culler = null;
            try {
                frontend.bind(dir.toString(), "bench");
                frontend.start();
                culler = new CachefilesCuller(kernel, dir, CACHE_QUOTA).start(CULL_INTERVAL);
                List<Reader> readers = new ArrayList<>();
                AtomicLong errors = new AtomicLong();
                for (int o = 0; o < readersPerObject.length; o++) {
                    Slot slot = new Slot(kernel, o);
                    for (int r = 0; r < readersPerObject[o]; r++) {
                        readers.add(new Reader(kernel, slot, errors));
                    }
                }
                CountDownLatch started = new CountDownLatch(readers.size());
                List<Thread> threads = new ArrayList<>();
                for (Reader reader : readers) {
                    Thread t = Thread.ofVirtual().name("bench-reader-" + threads.size()).start(() -> {
                        started.countDown();
                        reader.run();
                    });
                    threads.add(t);
                }
                started.await();
                Thread.sleep(WARMUP.toMillis());
                long[] before = new long[readersPerObject.length];
                for (Reader reader : readers) {
                    reader.recording = true;
                }
                dispatch.recording = true;
                long cpu0 = processCpuNanos();
                long t0 = System.nanoTime();
                for (Reader reader : readers) {
                    before[reader.slot.index] += reader.count;
                }
                Thread.sleep(measure.toMillis());
                long t1 = System.nanoTime();
                run.cpuNanos = processCpuNanos() - cpu0;
                long[] after = new long[readersPerObject.length];
                for (Reader reader : readers) {
                    after[reader.slot.index] += reader.count;
                }
                dispatch.recording = false;
                for (Reader reader : readers) {
                    reader.recording = false;
                    reader.stop = true;
                }
                for (Thread t : threads) {
                    t.join(WAIT.toMillis());
                }
                run.seconds = (t1 - t0) / 1e9;
                run.completed = new long[readersPerObject.length];
                for (int i = 0; i < after.length; i++) {
                    run.completed[i] = after[i] - before[i];
                }
                run.readLatency = readers.stream().flatMapToLong(r -> Arrays.stream(r.latencies, 0, r.samples))
                        .sorted().toArray();
                run.dispatchLatency = dispatch.sorted();
                run.errors = errors.get();
                return run;
            } finally {
                if (culler != null) {
                    culler.close();
                }
                frontend.stop();
                core.close();
                kernel.shutdown();
                try (Stream<Path> files = Files.walk(dir)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }

        private static Path baseDir() {
            String configured = System.getProperty("bench.dir");
            if (configured != null) {
                return Path.of(configured);
            }
            Path shm = Path.of("/dev/shm");
            return Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                    : Path.of(System.getProperty("java.io.tmpdir"));
        }
    }

    /** A reader thread: reads fresh pages of its object one at a time, checking each page's bytes. */
    /** The object one slot's readers read now. */
    private record Generation(SimObject object, AtomicLong pages) {
    }

    /**
     * One object slot: its readers share a page cursor on the current object, which is replaced by a fresh object
     * every {@link #GENERATION_PAGES} pages; the filesystem lets go of the one {@link #GENERATIONS_KEPT} back.
     */
    private static final class Slot {
        final SimulatedCachefilesKernel kernel;
        final int index;
        private final ArrayDeque<SimObject> retired = new ArrayDeque<>();
        private int generations;
        volatile Generation current;

        Slot(SimulatedCachefilesKernel kernel, int index) throws IOException {
            this.kernel = kernel;
            this.index = index;
            this.current = new Generation(open(), new AtomicLong());
        }

        private SimObject open() throws IOException {
            String cookie = "object" + index + "." + generations++;
            return switch (kernel.open("erofs,bench", cookie.getBytes(StandardCharsets.UTF_8), WAIT)) {
                case OpenResult.Opened opened -> opened.object();
                default -> throw new IOException("OPEN of " + cookie + " failed");
            };
        }

        /** Moves the slot on from {@code seen} unless another reader did already. */
        synchronized void advance(Generation seen) throws IOException {
            if (current != seen) {
                return;
            }
            current = new Generation(open(), new AtomicLong());
            retired.add(seen.object());
            while (retired.size() > GENERATIONS_KEPT) {
                kernel.close(retired.poll());
            }
        }
    }

    private static final class Reader implements Runnable {
        final SimulatedCachefilesKernel kernel;
        final Slot slot;
        final AtomicLong errors;
        volatile boolean recording;
        volatile boolean stop;
        volatile long count;
        long[] latencies = new long[1 << 16];
        int samples;

        Reader(SimulatedCachefilesKernel kernel, Slot slot, AtomicLong errors) {
            this.kernel = kernel;
            this.slot = slot;
            this.errors = errors;
        }

        @Override
        public void run() {
            while (!stop) {
                Generation generation = slot.current;
                long page = generation.pages().getAndIncrement();
                long start = System.nanoTime();
                ReadResult result;
                try {
                    if (page >= GENERATION_PAGES) {
                        slot.advance(generation);
                        continue;
                    }
                    result = kernel.read(generation.object(), page * PAGE, PAGE, WAIT);
                } catch (IOException | IllegalStateException e) {
                    errors.incrementAndGet(); // IllegalStateException: read an object already let go of
                    continue;
                }
                long offset = page * PAGE;
                long took = System.nanoTime() - start;
                if (!(result instanceof ReadResult.Data data) || data.fromCache() || !matches(data.bytes(), offset)) {
                    errors.incrementAndGet();
                    continue;
                }
                count++;
                if (recording) {
                    if (samples == latencies.length) {
                        latencies = Arrays.copyOf(latencies, samples * 2);
                    }
                    latencies[samples++] = took;
                }
            }
        }

        private static boolean matches(byte[] bytes, long offset) {
            return bytes.length == PAGE && MemorySource.matches(bytes, offset);
        }
    }

    /** The core's own latency per READ (submission to answer), as its listener hears it. */
    private static final class DispatchLatency implements CoreListener {
        private final AtomicLongArray samples = new AtomicLongArray(DISPATCH_SAMPLES);
        private final AtomicLong next = new AtomicLong();
        volatile boolean recording;

        @Override
        public void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome, int errno,
                long latencyNanos) {
            if (recording) {
                samples.set((int) (next.getAndIncrement() & (DISPATCH_SAMPLES - 1)), latencyNanos);
            }
        }

        long[] sorted() {
            int n = (int) Math.min(next.get(), DISPATCH_SAMPLES);
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = samples.get(i);
            }
            Arrays.sort(out);
            return out;
        }
    }
}
