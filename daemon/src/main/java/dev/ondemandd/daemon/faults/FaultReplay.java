package dev.ondemandd.daemon.faults;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.frontend.cachefiles.CachefilesService;
import dev.ondemandd.daemon.frontend.cachefiles.FrontendStats;
import dev.ondemandd.daemon.replay.Replay;
import dev.ondemandd.daemon.replay.ReaderSide;
import dev.ondemandd.daemon.replay.ReplayEngine;
import dev.ondemandd.daemon.replay.ReplayReport;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.decorators.DigestVerifyingFetcher;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimStats;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code replay --faults}: a replay whose serving fetchers and simulated kernel misbehave as a {@link FaultSpec}
 * says. Beyond the plain replay's checks (every answer against an independent opening of the sources) it
 * checks, after the trace: that the daemon still serves (one more OPEN and READ of the first object), that no
 * request is left unanswered in the kernel, and every byte of every cache file against the source.
 */
public final class FaultReplay {

    /** Volume and cookie of the {@code unmatched-open} fault; the cookie is safe in any URL template. */
    public static final String UNMATCHED_VOLUME = "erofs,ondemandd-faults";
    public static final String UNMATCHED_COOKIE = "no-source-has-this-cookie";
    /** Beyond the core's deadlines, how long a request may go unanswered before it counts as hung. */
    static final Duration HANG_MARGIN = Duration.ofSeconds(5);
    /** How long the daemon gets to read the CLOSEs queued at the end before leftovers count as unanswered. */
    static final Duration SETTLE = Duration.ofSeconds(2);

    private FaultReplay() {
    }

    /**
     * What a faulted replay did and found.
     *
     * @param replay the plain replay's report (failed READs here are the faults' EIOs, expected)
     * @param fired the faults that fired, in order
     * @param unmatchedOpenErrno the errno the {@code unmatched-open} got (0 if not asked; -1 if it was opened)
     * @param servingAfter whether an OPEN and READ after the trace got the right bytes
     * @param outstanding kernel requests still unanswered after the trace
     * @param hung OPENs or READs nobody answered in time
     * @param slowestReadNanos the longest any READ waited for its answer
     * @param unknownObjectReads READs whose object id the daemon did not know (each completed through the orphaned
     *     anonymous fd that owns it, or counted as a problem)
     * @param cacheFiles cache files checked
     * @param bytesVerified bytes of cache files compared with the sources
     * @param wrongBytes bytes of cache files that differ from the sources
     * @param problems what went wrong beyond the faults' expected EIOs
     */
    public record Report(ReplayReport replay, List<String> fired, int unmatchedOpenErrno, boolean servingAfter,
            int outstanding, long hung, long slowestReadNanos, long unknownObjectReads, long cacheFiles,
            long bytesVerified, long wrongBytes, List<String> problems) {

        public Report {
            fired = List.copyOf(fired);
            problems = List.copyOf(problems);
        }

        /**
         * The fault contract held: no wrong byte reached a reader or a cache file, nothing hung, the daemon still
         * served afterwards. Reads that failed (EIO) are allowed: that is how a fault reaches the reader.
         */
        public boolean held() {
            return replay.mismatches() == 0 && wrongBytes == 0 && hung == 0 && servingAfter && problems.isEmpty();
        }

        public String summary() {
            return String.format(Locale.ROOT, "%s: faults fired [%s]; %d reads, %d failed (EIO), %d mismatches;"
                            + " slowest read %.3f s; %d hung; %d requests left unanswered (%d READs of unknown objects);"
                            + " %d cache files, %d bytes verified, %d wrong; serving afterwards: %s",
                    held() ? "HELD" : "BROKEN", String.join(", ", fired), replay.reads(), replay.failures(),
                    replay.mismatches(), slowestReadNanos / 1e9, hung, outstanding, unknownObjectReads, cacheFiles,
                    bytesVerified, wrongBytes, servingAfter ? "yes" : "NO");
        }
    }

    /**
     * From a configuration, as {@code replay --faults} runs it: the sources' fetchers wrapped in the fault layer
     * (inside a digest check, so a {@code corrupt} fault on a whole-blob read of a content-addressed blob is
     * caught as it would be for an OCI blob).
     */
    public static Report run(DaemonConfig config, Trace trace, FaultSpec spec, CoreListener listener,
            Consumer<String> observer) throws ConfigException, IOException, InterruptedException {
        FaultInjector injector = new FaultInjector(spec);
        FetcherRegistry faulty = FetcherRegistry.of(new DigestVerifyingFetcher(injector.wrap(new FileFetcher()),
                FetchMetrics.NONE, "faults"));
        try (faulty; Sources checking = Sources.open(config)) {
            return run(config.coreSettings(), config.resolver(faulty), checking.resolver(), trace, injector,
                    listener, observer);
        }
    }

    /** With the serving resolver given (its fetchers already wrapped by {@code injector}), e.g. over HTTP. */
    public static Report run(CoreSettings settings, SourceResolver serving, SourceResolver checking, Trace trace,
            FaultInjector injector, CoreListener listener, Consumer<String> observer)
            throws IOException, InterruptedException {
        Duration wait = max(settings.readDeadline(), settings.openDeadline()).plus(HANG_MARGIN);
        Path root = Files.createTempDirectory("ondemandd-faults-cache-");
        List<String> problems = new ArrayList<>();
        try {
            SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
            CachefilesService service = new CachefilesService(kernel, settings, serving, listener);
            FaultyReaderSide reader = new FaultyReaderSide(kernel, wait, injector);
            ReplayReport report;
            int unmatched = 0;
            boolean servingAfter;
            SimStats stats;
            FrontendStats frontend;
            try {
                service.start(root.toString(), "faults");
                if (injector.unmatchedOpen()) {
                    unmatched = unmatchedOpen(reader, problems);
                    injector.noteFired("unmatched-open@1 (errno " + unmatched + ")");
                }
                report = new ReplayEngine(reader, checking, 0, observer).run(trace);
                servingAfter = stillServes(reader, trace, checking, problems);
                stats = settled(kernel);
                frontend = service.frontend().stats();
                for (ReadResult orphan : reader.orphanReadResults()) {
                    if (orphan instanceof ReadResult.Hung) {
                        problems.add("unknown-object-read: the orphaned object's reader got no answer");
                    }
                }
            } finally {
                service.close();
            }
            problems.addAll(Replay.kernelComplaints(kernel.stats()));
            CacheFileCheck.Result cache = CacheFileCheck.check(kernel.cacheDirectory() != null
                    ? kernel.cacheDirectory() : root.resolve("cache"), checking);
            problems.addAll(cache.problems());
            long unknown = frontend.unknownObject();
            if (stats.outstanding() > 0) {
                problems.add("kernel: " + stats.outstanding() + " requests unanswered after the trace ("
                        + unknown + " READs of unknown objects, " + frontend.orphansCompleted()
                        + " completed through orphaned fds)");
            }
            return new Report(report, injector.fired(), unmatched, servingAfter, stats.outstanding(),
                    stats.readsHung(), reader.slowestReadNanos(), unknown, cache.files(), cache.bytesVerified(),
                    cache.wrongBytes(), problems);
        } finally {
            deleteTree(root);
        }
    }

    private static int unmatchedOpen(ReaderSide reader, List<String> problems) {
        try {
            ReaderSide.ReaderObject object = reader.open(UNMATCHED_VOLUME,
                    UNMATCHED_COOKIE.getBytes(StandardCharsets.UTF_8));
            object.close();
            problems.add("unmatched-open: " + UNMATCHED_VOLUME + "/" + UNMATCHED_COOKIE + " was opened; no source"
                    + " should match it");
            return -1;
        } catch (ReaderSide.OpenFailedException e) {
            return e.errno();
        } catch (IOException e) {
            problems.add("unmatched-open: " + e.getMessage());
            return -1;
        }
    }

    /** One more OPEN and READ (the first page of the trace's first object), checked against the source. */
    private static boolean stillServes(ReaderSide reader, Trace trace, SourceResolver checking,
            List<String> problems) {
        var first = trace.events().stream().filter(dev.ondemandd.daemon.trace.TraceEvent.Open.class::isInstance)
                .map(dev.ondemandd.daemon.trace.TraceEvent.Open.class::cast).findFirst();
        if (first.isEmpty()) {
            return true;
        }
        Trace probe = new Trace(trace.header(), List.of(
                new dev.ondemandd.daemon.trace.TraceEvent.Open(0, Long.MAX_VALUE, first.get().volume(),
                        first.get().cookie(), first.get().size()),
                new dev.ondemandd.daemon.trace.TraceEvent.Read(0, Long.MAX_VALUE, 0,
                        Math.min(first.get().size(), CoreSettings.PAGE_SIZE), null),
                new dev.ondemandd.daemon.trace.TraceEvent.Close(0, Long.MAX_VALUE)));
        try {
            ReplayReport after = new ReplayEngine(reader, checking, 0, line -> { }).run(probe);
            if (!after.passed()) {
                problems.add("after the faults: " + String.join("; ", after.findings()));
            }
            return after.passed();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("after the faults: interrupted");
            return false;
        }
    }

    /**
     * The kernel's counters once the daemon has read what the trace's last CLOSEs queued (bounded by
     * {@link #SETTLE}): a request still there after that was never answered.
     */
    private static SimStats settled(SimulatedCachefilesKernel kernel) throws InterruptedException {
        long until = System.nanoTime() + SETTLE.toNanos();
        SimStats stats = kernel.stats();
        while (stats.outstanding() > 0 && System.nanoTime() < until) {
            Thread.sleep(10);
            stats = kernel.stats();
        }
        return stats;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
