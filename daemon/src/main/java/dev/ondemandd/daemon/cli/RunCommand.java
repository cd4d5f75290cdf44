package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.CacheConfig;
import dev.ondemandd.daemon.config.CachefilesConfig;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
        try (Sources sources = orBadInput(() -> Sources.open(cfg));
                TraceRecorder recorder = recordTrace == null ? null : recorder(recordTrace)) {
            createDirectory(Path.of(cachefiles.dir()));
            KernelCachefilesDevice device;
            try {
                device = KernelCachefilesDevice.open(cachefiles.device());
            } catch (IOException e) {
                throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage(), e);
            }
            CachefilesService service = new CachefilesService(device, orBadInput(cfg::coreSettings),
                    sources.resolver(), recorder == null ? CoreListener.none() : recorder);
            CountDownLatch stop = new CountDownLatch(1);
            CountDownLatch stopped = new CountDownLatch(1);
            long patience = orBadInput(cfg::coreSettings).drainTimeout().toSeconds() + SHUTDOWN_MARGIN_SECONDS;
            Thread hook = new Thread(() -> {
                Main.shutdownHookRunning = true;
                stop.countDown();
                try {
                    stopped.await(patience, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                System.out.flush();
                System.err.flush();
                // A signal is how a service is stopped: a clean shutdown exits 0, not 128+SIGTERM.
                Runtime.getRuntime().halt(ExitCode.OK);
            }, "ondemandd-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                try {
                    service.start(cachefiles.dir(), cachefiles.tag());
                } catch (IOException e) {
                    throw new CliException(ExitCode.CANNOT_SERVE, "binding the cache failed: " + e.getMessage()
                            + " (is another cache bound with this tag, or the dir on a filesystem without xattrs?)", e);
                }
                LOG.log(Level.INFO, "serving " + cachefiles.device() + " (dir " + cachefiles.dir() + ", tag "
                        + cachefiles.tag() + ")");
                stop.await();
                LOG.log(Level.INFO, "stopping: answering in-flight requests and closing every object");
            } finally {
                service.close();
                if (recorder != null) {
                    recorder.close();
                }
                stopped.countDown();
                if (!Main.shutdownHookRunning) {
                    Runtime.getRuntime().removeShutdownHook(hook);
                }
            }
            return ExitCode.OK;
        }
    }

    /** Mounts every configured image through fanotify and serves them until SIGTERM/SIGINT. */
    private int runFanotify(DaemonConfig cfg) throws Exception {
        CacheConfig cache = orBadInput(cfg::requireCache);
        List<ImageSpec> images = orBadInput(cfg::imageSpecs);
        try (Sources sources = orBadInput(() -> Sources.open(cfg));
                TraceRecorder recorder = recordTrace == null ? null
                        : recorder(recordTrace, TraceFormat.FANOTIFY_LAYOUT)) {
            return FanotifyServing.serve(FanotifyServing.resolve(sources, images), Path.of(cache.dir()),
                    sources.fetchers(), orBadInput(cfg::sourceRules),
                    orBadInput(cfg::coreSettings), FanotifySettings.defaults(),
                    recorder == null ? CoreListener.none() : recorder, false,
                    () -> LOG.log(Level.INFO, "serving " + images.size() + " image(s) through fanotify (cache "
                            + cache.dir() + ")"));
        }
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
