package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.cache.CachefilesCuller;
import dev.ondemandd.daemon.config.CacheConfig;
import dev.ondemandd.daemon.config.CachefilesConfig;
import dev.ondemandd.daemon.control.CachefilesImages;
import dev.ondemandd.daemon.control.ControlCommand;
import dev.ondemandd.daemon.control.ControlException;
import dev.ondemandd.daemon.control.ControlSettings;
import dev.ondemandd.daemon.control.FanotifyImages;
import dev.ondemandd.daemon.control.ImageCommands;
import dev.ondemandd.daemon.control.ImageMounter;
import dev.ondemandd.daemon.control.LiveSources;
import dev.ondemandd.daemon.control.MountRequest;
import dev.ondemandd.daemon.control.MountState;
import dev.ondemandd.daemon.control.PersistentMounts;
import java.util.ArrayList;
import dev.ondemandd.daemon.control.ReloadCommand;
import dev.ondemandd.daemon.core.SourceRule;
import java.util.HashMap;
import dev.ondemandd.daemon.frontend.cachefiles.FrontendStats;
import dev.ondemandd.daemon.frontend.fanotify.FanotifyDaemon;
import dev.ondemandd.daemon.metrics.Metrics;
import dev.ondemandd.daemon.ops.KernelWarnings;
import dev.ondemandd.daemon.ops.Operations;
import dev.ondemandd.daemon.ops.StopMode;
import dev.ondemandd.daemon.core.Core;
import java.util.Map;
import java.util.OptionalInt;
import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.ConfigLoader;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.frontend.cachefiles.CachefilesService;
import dev.ondemandd.daemon.frontend.fanotify.FanotifySettings;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.daemon.trace.TraceFormat;
import dev.ondemandd.daemon.trace.TraceRecorder;
import dev.ondemandd.daemon.trace.TraceWriter;
import dev.ondemandd.protocol.cachefiles.KernelCachefilesDevice;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ondemandd run}: serves /dev/cachefiles, or the configured images through fanotify ({@code "frontend":
 * "fanotify"}), until SIGTERM or SIGINT, then shuts down gracefully.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Serve /dev/cachefiles (on-demand mode), or mount the configured images and serve them through"
                + " fanotify pre-content events (\"frontend\": \"fanotify\" or \"auto\"), until SIGTERM/SIGINT.",
            "Needs root (CAP_SYS_ADMIN)."})
final class RunCommand implements Callable<Integer> {

    private static final System.Logger LOG = System.getLogger(RunCommand.class.getName());
    /** How long the signal handler waits beyond the drain timeout for the shutdown to finish. */
    private static final long SHUTDOWN_MARGIN_SECONDS = 10;
    /** How often the cachefiles quota is checked: fills grow the cache between passes. */
    private static final java.time.Duration QUOTA_INTERVAL = java.time.Duration.ofSeconds(30);
    /** The device fd's name in systemd's fd store (FDNAME=, LISTEN_FDNAMES). */
    static final String FD_NAME = "cachefiles";

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The configuration (JSON).")
    Path config;

    @Option(names = "--record-trace", paramLabel = "FILE", description = "Record every request to FILE (JSON Lines).")
    Path recordTrace;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.INFO);
        DaemonConfig cfg = load(config);
        if (FrontendChoice.fanotify(cfg)) {
            return runFanotify(cfg);
        }
        CachefilesConfig cachefiles = orBadInput(cfg::requireCachefiles);
        try (Operations ops = operations(cfg, KernelWarnings.Path.CACHEFILES);
                LiveSources sources = live(cfg, ops, List.of());
                TraceRecorder recorder = recordTrace == null ? null : recorder(recordTrace)) {
            createDirectory(Path.of(cachefiles.dir()));
            // after a restart systemd hands back the device fd the last run stored: the cache stayed bound
            OptionalInt held = ops.listenFds().take(FD_NAME);
            KernelCachefilesDevice device;
            try {
                device = held.isPresent() ? KernelCachefilesDevice.fromFd(held.getAsInt())
                        : KernelCachefilesDevice.open(cachefiles.device());
            } catch (IOException e) {
                throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage(), e);
            }
            CachefilesService service = new CachefilesService(device, orBadInput(cfg::coreSettings),
                    sources.resolver(), listener(ops, recorder));
            service.frontend().onEachIteration(ops.watchdog().register("cachefiles")::alive);
            SignalStop signal = SignalStop.install(
                    orBadInput(cfg::coreSettings).drainTimeout().toSeconds() + SHUTDOWN_MARGIN_SECONDS);
            CachefilesCuller culler = null;
            // whether a holder keeps the device fd (it came back from it, or was stored in it) and no drain took it
            java.util.concurrent.atomic.AtomicBoolean heldElsewhere = new java.util.concurrent.atomic.AtomicBoolean(
                    held.isPresent());
            java.util.concurrent.atomic.AtomicBoolean drained = new java.util.concurrent.atomic.AtomicBoolean();
            CachefilesImages images = new CachefilesImages(sources);
            MountState state = MountState.in(Path.of(cachefiles.dir()));
            List<MountRequest> toMount = new ArrayList<>();
            // the runtime mounts of the last daemon: their sources are in place before restore re-sends their OPENs
            List<MountRequest> persisted = state.loadOrSetAside();
            List<MountRequest> adopted = new ArrayList<>();
            for (MountRequest request : persisted) {
                try {
                    if (images.adopt(request)) {
                        adopted.add(request);
                    } else {
                        toMount.add(request);
                    }
                } catch (ControlException e) {
                    LOG.log(Level.ERROR, "runtime mount on " + request.mountpoint() + " from " + state.file()
                            + " not taken back: " + e.getMessage());
                }
            }
            PersistentMounts runtimeMounts = new PersistentMounts(images, state, adopted);
            try {
                try {
                    if (held.isPresent()) {
                        service.resume(); // restore, then serve: the kernel hands out pending requests again
                        ops.metrics().daemon().restored(FD_NAME);
                        LOG.log(Level.INFO, "took the cachefiles fd back from systemd and wrote restore");
                    } else {
                        service.start(cachefiles.dir(), cachefiles.tag(), orBadInput(cachefiles::cullLimits));
                        heldElsewhere.set(ops.systemd().storeFd(FD_NAME, device.rawFd()));
                    }
                } catch (IOException e) {
                    throw new CliException(ExitCode.CANNOT_SERVE, "binding the cache failed: " + e.getMessage()
                            + " (is another cache bound with this tag, or the dir on a filesystem without xattrs?)", e);
                }
                if (cachefiles.quotaBytes() > 0) {
                    culler = new CachefilesCuller(device, Path.of(cachefiles.dir()), cachefiles.quotaBytes())
                            .start(QUOTA_INTERVAL);
                }
                LOG.log(Level.INFO, "serving " + cachefiles.device() + " (dir " + cachefiles.dir() + ", tag "
                        + cachefiles.tag() + ")");
                remount(runtimeMounts, toMount, adopted.size());
                if (!persisted.isEmpty()) {
                    LOG.log(Level.INFO, "runtime mounts: " + persisted.size() + " listed in " + state.file() + ", "
                            + adopted.size() + " still mounted and taken back, " + (runtimeMounts.mounts().size()
                                    - adopted.size()) + " mounted again, " + (persisted.size()
                                            - runtimeMounts.mounts().size()) + " failed");
                }
                serving(ops, service.core()::stats, () -> {
                    // a drain means stop serving: systemd must not keep the cache bound for a successor
                    drained.set(true);
                    ops.systemd().removeStoredFd(FD_NAME);
                    signal.request();
                }, runtimeCommands(ops, sources, runtimeMounts), Map.of("cachefiles",
                        () -> frontendStats(service.frontend().stats()), "images", images::images),
                        "serving " + cachefiles.device() + " (tag " + cachefiles.tag() + ")");
                signal.await();
                StopMode.Decision stop = StopMode.decide(heldElsewhere.get(), drained.get() ? "drain requested" : null,
                        StopMode.holderStopping(System.getenv()));
                if (stop.handOver()) {
                    ops.stopping("handing over: pending requests stay with the kernel for the next daemon");
                    Core.HandOver left = service.handOver();
                    LOG.log(Level.INFO, "stop mode: hand-over (" + stop.why() + "): " + left.readsLeft() + " READ(s)"
                            + " and " + left.opensLeft() + " OPEN(s) left for the successor (the kernel re-sends"
                            + " them after its restore), fetches " + (left.fetchesFinished() ? "finished"
                                    : "still running"));
                    SignalStop.exitIfFetchesRun(left.fetchesFinished());
                } else {
                    if (heldElsewhere.get()) {
                        ops.systemd().removeStoredFd(FD_NAME); // serving ends: the cache unbinds when we exit
                    }
                    ops.stopping("stopping: answering in-flight requests and closing every object");
                    LOG.log(Level.INFO, "stop mode: full (" + stop.why() + "): 0 requests left for a successor;"
                            + " answering in-flight requests and closing every object");
                }
            } finally {
                if (culler != null) {
                    culler.close();
                }
                service.close();
                if (recorder != null) {
                    recorder.close();
                }
                signal.close();
            }
            return ExitCode.OK;
        }
    }

    /** Mounts every configured image through fanotify and serves them until SIGTERM/SIGINT. */
    private int runFanotify(DaemonConfig cfg) throws Exception {
        CacheConfig cache = orBadInput(cfg::requireCache);
        List<ImageSpec> images = orBadInput(cfg::imageSpecs);
        Path cacheDir = Path.of(cache.dir()).toAbsolutePath();
        java.util.concurrent.atomic.AtomicBoolean drained = new java.util.concurrent.atomic.AtomicBoolean();
        try (Operations ops = operations(cfg, KernelWarnings.Path.FANOTIFY);
                TraceRecorder recorder = recordTrace == null ? null
                        : recorder(recordTrace, TraceFormat.FANOTIFY_LAYOUT)) {
            // the image references are resolved with the configured sources' options before the rules exist
            List<ImageSpec> resolved;
            // the runtime mounts of the last worker are served with the configured images (mounted again, or
            // taken back still mounted after a failover, with their pending events recovered)
            MountState state = MountState.in(cacheDir);
            List<MountRequest> persisted = state.loadOrSetAside();
            List<MountRequest> kept = new ArrayList<>();
            List<ImageSpec> restored = new ArrayList<>();
            try (Sources configured = orBadInput(() -> Sources.open(cfg, ops.listener()))) {
                resolved = FanotifyServing.resolve(configured, images);
                for (MountRequest request : persisted) {
                    try {
                        restored.add(FanotifyImages.restore(configured, request, images));
                        kept.add(request);
                    } catch (ControlException e) {
                        LOG.log(Level.ERROR, "runtime mount on " + request.mountpoint() + " from " + state.file()
                                + " not served again: " + e.getMessage());
                    }
                }
            }
            if (!persisted.isEmpty()) {
                LOG.log(Level.INFO, "runtime mounts: " + persisted.size() + " listed in " + state.file() + ", "
                        + kept.size() + " served again, " + (persisted.size() - kept.size()) + " failed");
            }
            List<ImageSpec> all = new ArrayList<>(resolved);
            all.addAll(restored);
            try (LiveSources sources = live(cfg, ops, FanotifyDaemon.ownRules(all, cacheDir))) {
                return FanotifyServing.serve(all, cacheDir, sources.fetchers(), sources.resolver(),
                        orBadInput(cfg::coreSettings), FanotifySettings.shapedBy(orBadInput(cfg::coreSettings).fetch(),
                                cfg.unitConfigured())
                                .withCacheQuota(cache.quotaBytes()),
                        listener(ops, recorder), false,
                        (FanotifyDaemon daemon) -> {
                            String line = "serving " + all.size() + " image(s) through fanotify (cache "
                                    + cache.dir() + ")";
                            LOG.log(Level.INFO, line);
                            PersistentMounts runtime = new PersistentMounts(new FanotifyImages(daemon.server(),
                                    sources, resolved, restored), state, kept);
                            if (kept.size() != persisted.size()) {
                                runtime.save(); // the file lists only what is served now
                            }
                            // a drain is a stop: unmount, answer in-flight events, release the group
                            serving(ops, daemon.core()::stats, () -> {
                                drained.set(true);
                                Runtime.getRuntime().exit(ExitCode.OK);
                            },
                                    runtimeCommands(ops, sources, runtime), Map.of("fanotify",
                                            () -> daemon.server().stats(), "images", runtime::images), line);
                        }, new SystemdFdHolder(ops.systemd(), ops.listenFds()),
                        () -> drained.get() ? "drain requested" : null);
            }
        }
    }

    /** Mounts again the runtime mounts of the last daemon that are not mounted any more; forgets those that fail. */
    private static void remount(PersistentMounts mounts, List<MountRequest> requests, int adopted) {
        for (MountRequest request : requests) {
            try {
                mounts.mount(request);
            } catch (ControlException e) {
                LOG.log(Level.ERROR, "runtime mount on " + request.mountpoint() + " not mounted again: "
                        + e.getMessage() + "; forgotten (mount it again with `ondemandd mount`)");
            }
        }
        if (mounts.mounts().size() != adopted + requests.size()) {
            mounts.save(); // the file lists only what is served now
        }
    }

    /** Kernel check, metrics endpoint and systemd environment, from the "metrics" and "control" sections. */
    private static Operations operations(DaemonConfig cfg, KernelWarnings.Path path) throws CliException {
        String metricsListen = orBadInput(() -> section("metrics", () -> Metrics.listenFrom(cfg.metrics())));
        ControlSettings control = orBadInput(() -> section("control", () -> ControlSettings.fromJson(cfg.control())));
        try {
            return Operations.start(path, metricsListen, control);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage(), e);
        }
    }

    /** A section the ops package parses; its IllegalArgumentException becomes a configuration error. */
    private static <T> T section(String key, java.util.function.Supplier<T> parse) throws ConfigException {
        try {
            return parse.get();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, e.getMessage());
        }
    }

    private static CoreListener listener(Operations ops, TraceRecorder recorder) {
        return recorder == null ? ops.listener() : CoreListener.all(List.of(ops.listener(), recorder));
    }

    /** The sources of a serving daemon, which reload and runtime mounts change. */
    private LiveSources live(DaemonConfig cfg, Operations ops, List<SourceRule> fixed) throws CliException {
        return new LiveSources(orBadInput(() -> Sources.open(cfg, ops.listener())), orBadInput(cfg::sourceRules),
                fixed);
    }

    /** reload (this run's configuration file), mount and umount. */
    private Map<String, ControlCommand> runtimeCommands(Operations ops, LiveSources sources, ImageMounter images) {
        Map<String, ControlCommand> commands = new HashMap<>();
        commands.put("reload", new ReloadCommand(config.toAbsolutePath(), sources, ops.listener()));
        ImageCommands.register(commands, images);
        return commands;
    }

    /**
     * Control socket up (status, drain and {@code commands}) and READY=1; a drain says STOPPING=1, then
     * {@code stop} runs.
     */
    private static void serving(Operations ops, java.util.function.Supplier<dev.ondemandd.daemon.core.CoreStats> stats,
            Runnable stop, Map<String, ControlCommand> commands, Map<String, java.util.function.Supplier<?>> sections,
            String statusLine) throws CliException {
        Map<String, ControlCommand> all = new HashMap<>(commands);
        all.put("drain", request -> {
            if (request.size() != 1) {
                throw new ControlException("drain takes no arguments");
            }
            ops.stopping("draining on request: answering in-flight requests, then stopping");
            Thread.ofPlatform().name("ondemandd-drain").start(stop);
            return null;
        });
        try {
            ops.serving(stats, all, sections, statusLine);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage(), e);
        }
    }

    private static Map<String, Long> frontendStats(FrontendStats stats) {
        return Map.of("messages", stats.messages(), "malformed", stats.malformed(), "unknownObject",
                stats.unknownObject(), "completeErrors", stats.completeErrors(), "copenErrors", stats.copenErrors(),
                "orphansCompleted", stats.orphansCompleted());
    }

    static DaemonConfig load(Path file) throws CliException {
        try {
            return ConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new CliException(ExitCode.BAD_INPUT, "configuration error: " + e.getMessage(), e);
        }
    }

    interface ConfigStep<T> {
        T get() throws ConfigException;
    }

    static <T> T orBadInput(ConfigStep<T> step) throws CliException {
        try {
            return step.get();
        } catch (ConfigException e) {
            throw new CliException(ExitCode.BAD_INPUT, "configuration error: " + e.getMessage(), e);
        }
    }

    static TraceRecorder recorder(Path file) throws CliException {
        return recorder(file, TraceFormat.CACHEFILES_LAYOUT);
    }

    static TraceRecorder recorder(Path file, String layout) throws CliException {
        try {
            return new TraceRecorder(TraceWriter.create(file), System.getProperty("os.version"), layout);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "cannot write the trace " + file + ": " + e.getMessage(), e);
        }
    }

    private static void createDirectory(Path dir) throws CliException {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "cannot create the cache directory " + dir + ": " + e, e);
        }
    }
}
