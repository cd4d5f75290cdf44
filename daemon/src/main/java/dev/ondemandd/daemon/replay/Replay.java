package dev.ondemandd.daemon.replay;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.frontend.cachefiles.CachefilesService;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.protocol.cachefiles.sim.SimStats;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code replay}: the daemon's real core and cachefiles frontend, serving a simulated /dev/cachefiles whose
 * filesystem side is driven by a trace; the answers are checked against a second, independent opening of
 * the sources.
 */
public final class Replay {

    /** Beyond the core's own deadlines, how long a request may go unanswered before replay calls it hung. */
    static final Duration HANG_MARGIN = Duration.ofSeconds(5);

    private Replay() {
    }

    /**
     * @param speed 0 for as fast as possible, 1 for recorded time
     * @param listener observes the core (e.g. a trace recorder); {@link CoreListener#none()} for nothing
     * @param observer receives one line per request
     */
    public static ReplayReport run(DaemonConfig config, Trace trace, double speed, CoreListener listener,
            Consumer<String> observer) throws ConfigException, IOException, InterruptedException {
        CoreSettings settings = config.coreSettings();
        Duration wait = max(settings.readDeadline(), settings.openDeadline()).plus(HANG_MARGIN);
        Path cacheDir = Files.createTempDirectory("ondemandd-replay-cache-");
        try (Sources serving = Sources.open(config); Sources checking = Sources.open(config)) {
            SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
            CachefilesService service = new CachefilesService(kernel, settings, serving.resolver(), listener);
            ReplayReport report;
            try {
                service.start(cacheDir.toString(), "replay");
                report = new ReplayEngine(new SimulatedReaderSide(kernel, wait), checking.resolver(), speed, observer)
                        .run(trace);
            } finally {
                service.close();
            }
            return report.withFailures(kernelComplaints(kernel.stats()));
        } finally {
            deleteTree(cacheDir);
        }
    }

    /** What the simulated kernel saw the daemon do wrong, as the real kernel would have suffered it. */
    public static List<String> kernelComplaints(SimStats stats) {
        List<String> problems = new ArrayList<>();
        if (stats.fdsOpen() != 0) {
            problems.add("kernel: " + stats.fdsOpen() + " anonymous fds still open after shutdown");
        }
        if (stats.misalignedWrites() != 0) {
            problems.add("kernel: " + stats.misalignedWrites() + " writes at an offset that is not page aligned");
        }
        if (stats.unalignedDirectIo() != 0) {
            problems.add("kernel: " + stats.unalignedDirectIo() + " writes of a length or buffer direct I/O refuses");
        }
        if (stats.writesPastObjectSize() != 0) {
            problems.add("kernel: " + stats.writesPastObjectSize() + " writes past the end of their object");
        }
        if (stats.emsgsize() != 0) {
            problems.add("kernel: " + stats.emsgsize() + " reads with a buffer too small for a message");
        }
        return problems;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
