package dev.ondemandd.daemon.ops;

import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import dev.ondemandd.daemon.control.ControlCommand;
import dev.ondemandd.daemon.control.ControlServer;
import dev.ondemandd.daemon.control.ControlSettings;
import dev.ondemandd.daemon.control.DaemonStatus;
import dev.ondemandd.daemon.core.CoreStats;
import dev.ondemandd.daemon.metrics.DaemonMetrics;
import dev.ondemandd.daemon.metrics.Metrics;
import dev.ondemandd.daemon.systemd.ListenFds;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import dev.ondemandd.daemon.systemd.Watchdog;

/**
 * Everything operational around a serving daemon, in the order a run command needs it:
 * {@link #start} at the beginning (kernel warnings logged, metrics endpoint up, systemd's fds and notify
 * socket read), the core built with {@link #listener()}, the frontend taking its fd from {@link #listenFds()}
 * and registering its loop with {@link #watchdog()}, then {@link #serving} (control socket up, READY=1),
 * {@link #stopping} on shutdown (STOPPING=1), and {@link #close}.
 */
public final class Operations implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Operations.class.getName());

    private final Instant started = Instant.now();
    private final String frontend;
    private final KernelVersion kernel;
    private final List<KernelWarnings.Warning> warnings;
    private final Metrics metrics;
    private final SystemdNotifier systemd;
    private final ListenFds listenFds;
    private final ControlSettings control;
    private final AtomicBoolean draining = new AtomicBoolean();
    private ControlServer controlServer;

    private Operations(String frontend, KernelVersion kernel, List<KernelWarnings.Warning> warnings, Metrics metrics,
            SystemdNotifier systemd, ListenFds listenFds, ControlSettings control) {
        this.frontend = frontend;
        this.kernel = kernel;
        this.warnings = warnings;
        this.metrics = metrics;
        this.systemd = systemd;
        this.listenFds = listenFds;
        this.control = control;
    }

    /**
     * Logs what the running kernel lacks on {@code path}, starts the metrics endpoint when
     * {@code metricsListen} is set, and reads systemd's environment.
     *
     * @param path          the kernel interface served
     * @param metricsListen {@code "metrics": {"listen"}}, null when metrics are not served
     * @param control       the control socket's settings, null for none (tests, replay)
     * @throws IOException when the kernel forbids the frontend or the metrics address cannot be bound
     */
    public static Operations start(KernelWarnings.Path path, String metricsListen, ControlSettings control)
            throws IOException {
        KernelVersion kernel = KernelVersion.running();
        List<KernelWarnings.Warning> warnings = KernelWarnings.check(kernel, path);
        KernelWarnings.log(warnings);
        if (KernelWarnings.unusable(warnings)) {
            throw new IOException(warnings.get(0).text());
        }
        Metrics metrics = Metrics.create();
        try {
            metrics.serve(metricsListen);
        } catch (IOException | RuntimeException e) {
            metrics.close();
            throw e;
        }
        ListenFds fds = ListenFds.fromEnvironment();
        if (fds.count() > 0) {
            LOG.log(System.Logger.Level.INFO, "systemd handed back {0} fd(s): {1}", fds.count(), fds.untaken());
        }
        return new Operations(path.name().toLowerCase(java.util.Locale.ROOT), kernel, warnings, metrics,
                SystemdNotifier.fromEnvironment(), fds, control);
    }

    /** The core's listener (metrics); combine with others through {@code CoreListener.all}. */
    public DaemonMetrics listener() {
        return metrics.daemon();
    }

    /** Metrics, for the fetcher decorators ({@code FetchMetrics}) and the restore counter. */
    public Metrics metrics() {
        return metrics;
    }

    /** fds systemd kept for us across a restart; a frontend takes its own by name. */
    public ListenFds listenFds() {
        return listenFds;
    }

    /** Where serving loops prove they are alive. */
    public Watchdog watchdog() {
        return systemd.watchdog();
    }

    /** sd_notify, for FDSTORE and STATUS lines. */
    public SystemdNotifier systemd() {
        return systemd;
    }

    /** The running kernel. */
    public KernelVersion kernel() {
        return kernel;
    }

    /**
     * The daemon serves: gauges read {@code stats}, the control socket comes up with {@code status} and
     * {@code commands} (drain, reload, mount, ... as the frontend offers them), and systemd hears READY=1.
     *
     * @param sections extra status sections (a frontend's counters), by name
     * @throws IOException when the control socket cannot be bound
     */
    public synchronized void serving(Supplier<CoreStats> stats, Map<String, ControlCommand> commands,
            Map<String, Supplier<?>> sections, String statusLine) throws IOException {
        metrics.daemon().watch(stats);
        if (control != null) {
            DaemonStatus status = new DaemonStatus(started, frontend, kernel, warnings, stats, metrics.daemon(),
                    draining::get);
            sections.forEach(status::section);
            Map<String, ControlCommand> all = new HashMap<>(commands);
            all.put("status", status);
            controlServer = ControlServer.start(control, all);
        }
        systemd.ready(statusLine);
    }

    /** Shutdown or drain began: status says so and systemd hears STOPPING=1. */
    public void stopping(String statusLine) {
        draining.set(true);
        systemd.stopping(statusLine);
    }

    @Override
    public synchronized void close() {
        if (controlServer != null) {
            controlServer.close();
            controlServer = null;
        }
        metrics.close();
        systemd.close();
    }
}
