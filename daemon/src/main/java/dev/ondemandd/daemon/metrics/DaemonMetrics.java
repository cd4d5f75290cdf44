package dev.ondemandd.daemon.metrics;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreStats;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.ReadOutcome;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The daemon's Prometheus metrics: the core's events ({@link CoreListener}), the fetchers' per-source
 * observations ({@link FetchMetrics}), the core's load as gauges, and JVM and process metrics.
 *
 * <p>Names follow Prometheus conventions once micrometer renders them: {@code ondemandd_} prefix, base units
 * ({@code _seconds}, {@code _bytes}), {@code _total} on counters. Meters whose labels come from a fixed set
 * are registered up front, so recording a READ looks nothing up and allocates nothing; errno- and
 * source-labelled meters are cached after first use (bounded: {@link ErrnoLabel}, and sources come from the
 * configuration).
 */
public final class DaemonMetrics implements CoreListener, FetchMetrics {

    /** Latency buckets from 100 µs (page-cache-speed local file) to 30 s (the default read deadline). */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
        Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60),
    };

    static final String OP = "op";
    static final String RESULT = "result";
    static final String ERRNO = "errno";
    static final String SOURCE = "source";

    private final MeterRegistry registry;
    private final AtomicReference<Supplier<CoreStats>> stats = new AtomicReference<>(() -> null);

    private final Counter opens;
    private final Timer openLatency;
    private final Timer openFailedLatency;
    private final Counter closes;
    private final Map<ReadOutcome, Counter> reads = new EnumMap<>(ReadOutcome.class);
    private final Map<ReadOutcome, Timer> readLatency = new EnumMap<>(ReadOutcome.class);
    private final Counter requestedBytes;
    private final Counter fetchedBytes;
    private final Timer fetchOk;
    private final Timer fetchFailed;
    private final Counter deadlineExceeded;
    private final Counter releases;
    private final Map<Integer, Counter> openFailures = new ConcurrentHashMap<>();
    private final Map<Integer, Counter> readFailures = new ConcurrentHashMap<>();
    private final Map<String, Counter> restores = new ConcurrentHashMap<>();
    private final Map<String, SourceMeters> sources = new ConcurrentHashMap<>();

    /** Registers the daemon's meters in {@code registry}; JVM and process metrics are {@link #bindJvm added} apart. */
    public DaemonMetrics(MeterRegistry registry) {
        this.registry = registry;
        opens = requests("open", "ok");
        closes = requests("close", "ok");
        openLatency = latency("open", "ok");
        openFailedLatency = latency("open", "error");
        for (ReadOutcome outcome : ReadOutcome.values()) {
            String result = outcome.name().toLowerCase(java.util.Locale.ROOT);
            reads.put(outcome, requests("read", result));
            readLatency.put(outcome, latency("read", result));
        }
        requestedBytes = Counter.builder("ondemandd.requested").baseUnit("bytes")
                .description("Bytes the kernel asked for in READs (compare with fetched: amplification)")
                .register(registry);
        fetchedBytes = Counter.builder("ondemandd.fetched").baseUnit("bytes")
                .description("Bytes fetched from sources and written to the cache, all sources")
                .register(registry);
        fetchOk = fetchTimer("ok");
        fetchFailed = fetchTimer("error");
        deadlineExceeded = Counter.builder("ondemandd.read.deadline.exceeded")
                .description("READs answered EIO because their deadline passed").register(registry);
        releases = Counter.builder("ondemandd.objects.released")
                .description("Objects whose last reference was released (target closed)").register(registry);
        gauge("ondemandd.objects.open", "Objects opened and not yet released", CoreStats::openObjects);
        gauge("ondemandd.objects.keys", "Distinct object keys with a bound source", CoreStats::keys);
        gauge("ondemandd.requests.queued", "READs waiting for a fetch slot", CoreStats::queuedReads);
        gauge("ondemandd.requests.inflight", "READs fetching or writing", CoreStats::runningReads);
    }

    /** Adds JVM (memory, GC, threads, classes) and process (CPU, uptime, open fds) metrics. */
    public static void bindJvm(MeterRegistry registry) {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** Where the load gauges read from; until set they read NaN. Set once the core exists. */
    public void watch(Supplier<CoreStats> coreStats) {
        stats.set(coreStats);
    }

    /** A frontend took its fd back after a restart and (cachefiles) wrote {@code restore}. */
    public void restored(String frontend) {
        restores.computeIfAbsent(frontend, f -> Counter.builder("ondemandd.restores")
                .description("Restarts that took the kernel fd back from the fd store (failover)")
                .tag("frontend", f).register(registry)).increment();
    }

    private Counter requests(String op, String result) {
        return Counter.builder("ondemandd.requests").description("Kernel requests answered, by op and result")
                .tag(OP, op).tag(RESULT, result).register(registry);
    }

    private Timer latency(String op, String result) {
        return Timer.builder("ondemandd.request.duration")
                .description("From taking a request off the kernel's queue to answering it")
                .tag(OP, op).tag(RESULT, result)
                .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    private Timer fetchTimer(String result) {
        return Timer.builder("ondemandd.fetch.duration")
                .description("One fetch step of a READ from its source, all sources")
                .tag(RESULT, result).serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
    }

    private void gauge(String name, String description, java.util.function.ToIntFunction<CoreStats> field) {
        Gauge.builder(name, stats, ref -> {
            CoreStats s = ref.get().get();
            return s == null ? Double.NaN : field.applyAsInt(s);
        }).description(description).register(registry);
    }

    private Counter errnoCounter(Map<Integer, Counter> cache, String name, String description, int errno) {
        Counter c = cache.get(errno);
        if (c == null) {
            c = cache.computeIfAbsent(errno, e -> Counter.builder(name).description(description)
                    .tag(ERRNO, ErrnoLabel.of(e)).register(registry));
        }
        return c;
    }

    // --- CoreListener ---------------------------------------------------------------------------------------

    @Override
    public void onOpen(ObjectKey key, long objectId, long size, long latencyNanos) {
        opens.increment();
        openLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onOpenFailed(ObjectKey key, int errno, long latencyNanos) {
        errnoCounter(openFailures, "ondemandd.open.failures", "OPENs answered with an error, by errno", errno)
                .increment();
        openFailedLatency.record(latencyNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void onRead(ObjectKey key, long objectId, long offset, long length) {
        requestedBytes.increment(length);
    }

    @Override
    public void onReadDone(ObjectKey key, long objectId, long offset, long length, ReadOutcome outcome, int errno,
            long latencyNanos) {
        reads.get(outcome).increment();
        readLatency.get(outcome).record(latencyNanos, TimeUnit.NANOSECONDS);
        if (outcome == ReadOutcome.TIMED_OUT) {
            deadlineExceeded.increment();
        }
        if (errno != 0) {
            errnoCounter(readFailures, "ondemandd.read.failures", "READs answered failed, by errno", errno)
                    .increment();
        }
    }

    @Override
    public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
        if (errno == 0) {
            fetchedBytes.increment(length);
            fetchOk.record(latencyNanos, TimeUnit.NANOSECONDS);
        } else {
            fetchFailed.record(latencyNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void onClose(ObjectKey key, long objectId) {
        closes.increment();
    }

    @Override
    public void onRelease(ObjectKey key, long objectId) {
        releases.increment();
    }

    /**
     * One source's counts since start, for the control socket's status.
     *
     * @param reads          range reads that delivered
     * @param readFailures   range reads that failed (after retries)
     * @param bytes          bytes delivered
     * @param retries        tries repeated after a failure
     * @param openFailures   blob opens that failed
     * @param meanReadMillis mean time of a delivering read
     */
    public record SourceStats(long reads, long readFailures, long bytes, long retries, long openFailures,
            double meanReadMillis) {
    }

    /** Every source seen so far, by name. */
    public Map<String, SourceStats> sourceStats() {
        Map<String, SourceStats> out = new java.util.TreeMap<>();
        sources.forEach((name, m) -> out.put(name, new SourceStats(m.readOk.count(), m.readFailed.count(),
                (long) m.bytes.count(), (long) m.retries.count(), m.openFailed.count(),
                m.readOk.mean(TimeUnit.MILLISECONDS))));
        return out;
    }

    // --- FetchMetrics (per source) --------------------------------------------------------------------------

    private SourceMeters source(String name) {
        SourceMeters m = sources.get(name);
        return m != null ? m : sources.computeIfAbsent(name, n -> new SourceMeters(registry, n));
    }

    @Override
    public void opened(String source, long nanos, int errno) {
        SourceMeters m = source(source);
        (errno == 0 ? m.openOk : m.openFailed).record(nanos, TimeUnit.NANOSECONDS);
        if (errno != 0) {
            m.error("open", errno);
        }
    }

    @Override
    public void read(String source, long bytes, long nanos, int errno) {
        SourceMeters m = source(source);
        if (errno == 0) {
            m.readOk.record(nanos, TimeUnit.NANOSECONDS);
            m.bytes.increment(bytes);
        } else {
            m.readFailed.record(nanos, TimeUnit.NANOSECONDS);
            m.error("read", errno);
        }
    }

    @Override
    public void retried(String source, int attempt, long backoffNanos) {
        source(source).retries.increment();
    }

    @Override
    public void digestMismatch(String source) {
        source(source).digestMismatches.increment();
    }

    /** One source's meters, registered on its first use. */
    private static final class SourceMeters {
        final MeterRegistry registry;
        final String name;
        final Timer openOk;
        final Timer openFailed;
        final Timer readOk;
        final Timer readFailed;
        final Counter bytes;
        final Counter retries;
        final Counter digestMismatches;
        final Map<String, Counter> errors = new ConcurrentHashMap<>();

        SourceMeters(MeterRegistry registry, String name) {
            this.registry = registry;
            this.name = name;
            openOk = timer("open", "ok");
            openFailed = timer("open", "error");
            readOk = timer("read", "ok");
            readFailed = timer("read", "error");
            bytes = Counter.builder("ondemandd.source.read").baseUnit("bytes")
                    .description("Bytes delivered by a source").tag(SOURCE, name).register(registry);
            retries = Counter.builder("ondemandd.source.retries")
                    .description("Source requests tried again after a failure").tag(SOURCE, name).register(registry);
            digestMismatches = Counter.builder("ondemandd.source.digest.mismatches")
                    .description("Blobs whose digest did not match").tag(SOURCE, name).register(registry);
        }

        private Timer timer(String op, String result) {
            return Timer.builder("ondemandd.source.request.duration")
                    .description("Requests to a source (blob opens, range reads after retries)")
                    .tag(SOURCE, name).tag(OP, op).tag(RESULT, result)
                    .serviceLevelObjectives(LATENCY_BUCKETS).register(registry);
        }

        void error(String op, int errno) {
            String label = ErrnoLabel.of(errno);
            errors.computeIfAbsent(op + "/" + label, k -> Counter.builder("ondemandd.source.errors")
                    .description("Failed source requests, by op and errno")
                    .tag(SOURCE, name).tag(OP, op).tag(ERRNO, label).register(registry)).increment();
        }
    }
}
