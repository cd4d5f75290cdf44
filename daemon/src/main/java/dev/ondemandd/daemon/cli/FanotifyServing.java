package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.frontend.fanotify.FanotifyDaemon;
import dev.ondemandd.daemon.frontend.fanotify.FanotifySettings;
import dev.ondemandd.daemon.frontend.fanotify.FdHolder;
import dev.ondemandd.daemon.systemd.ListenFds;
import dev.ondemandd.daemon.systemd.SystemdNotifier;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import dev.ondemandd.daemon.ops.StopMode;

/**
 * Serves images through the fanotify frontend in the foreground, for {@code run} and {@code mount}: mounts them,
 * then waits for SIGTERM/SIGINT (or, for {@code mount}, for the image to be unmounted), then unmounts every
 * image before the fanotify group is released — so no reader is ever let through to a hole's zeros.
 */
final class FanotifyServing {
    private static final System.Logger LOG = System.getLogger(FanotifyServing.class.getName());
    private static final long WATCH_MILLIS = 500;
    private static final long SHUTDOWN_MARGIN_SECONDS = 10;

    private FanotifyServing() {
    }

    /** Called once every image is mounted, with the daemon serving them. */
    @FunctionalInterface
    interface ReadyHook {
        void ready(FanotifyDaemon daemon) throws CliException;
    }

    /**
     * The images with OCI image references resolved to their metadata and blobs ({@link Sources#resolveImages});
     * a reference that names no ondemandd image or a bad URL is bad input, an unreachable registry cannot serve.
     */
    static List<ImageSpec> resolve(Sources sources, List<ImageSpec> images) throws CliException {
        try {
            return sources.resolveImages(images);
        } catch (FetchException e) {
            int code = e.errno() == FetchException.EINVAL || e.errno() == FetchException.ENOENT ? ExitCode.BAD_INPUT
                    : ExitCode.CANNOT_SERVE;
            throw new CliException(code, "cannot resolve the image: " + e.getMessage(), e);
        }
    }

    /**
     * @param resolver       holds {@link FanotifyDaemon#ownRules} for {@code images}, then any configured sources
     * @param untilUnmounted also stop when an image is unmounted by someone else ({@code ondemandd umount})
     * @param ready called once every image is mounted
     */
    static int serve(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers, SourceResolver resolver,
            CoreSettings core, FanotifySettings settings, CoreListener listener, boolean untilUnmounted,
            Runnable ready) throws CliException, InterruptedException {
        // under systemd or `ondemandd supervise`, the group outlives this process and READY=1 tells so
        SystemdNotifier notifier = SystemdNotifier.fromEnvironment();
        return serve(images, cacheDir, fetchers, resolver, core, settings, listener, untilUnmounted,
                (FanotifyDaemon daemon) -> {
                    ready.run();
                    notifier.ready("serving " + images.size() + " image(s) through fanotify");
                }, new SystemdFdHolder(notifier, ListenFds.fromEnvironment()), () -> null);
    }

    /**
     * As above, handing the running daemon to {@code ready} (for the control socket).
     *
     * @param endServing why serving is meant to end when a stop comes (a drain), null for a plain stop — which
     *     hands the pending events over to a successor when {@code holder} keeps the group
     */
    static int serve(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers, SourceResolver resolver,
            CoreSettings core, FanotifySettings settings, CoreListener listener, boolean untilUnmounted,
            ReadyHook ready, FdHolder holder, Supplier<String> endServing) throws CliException, InterruptedException {
        FanotifyDaemon daemon;
        try {
            daemon = FanotifyDaemon.start(images, cacheDir, fetchers, resolver, core, settings, listener, holder,
                    SystemdFdHolder.runtimeDir());
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, e.getMessage(), e);
        }
        long patience = core.drainTimeout().toSeconds() + settings.busyUnmountWait().toSeconds()
                + SHUTDOWN_MARGIN_SECONDS;
        SignalStop signal = SignalStop.install(patience);
        String end = null;
        try {
            ready.ready(daemon);
            while (!signal.await(WATCH_MILLIS)) {
                if (untilUnmounted && !daemon.allMounted()) {
                    LOG.log(Level.INFO, "an image was unmounted; stopping");
                    end = "the image was unmounted";
                    break;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "watching the mounts failed: " + e.getMessage() + "; stopping");
            end = "watching the mounts failed";
        } finally {
            try {
                stop(daemon, holder, StopMode.decide(daemon.handsOver(), end != null ? end : endServing.get(),
                        StopMode.holderStopping(System.getenv())));
            } finally {
                signal.close();
            }
        }
        return ExitCode.OK;
    }

    /** Hands the pending events over to the holder's next worker, or unmounts and answers everything. */
    private static void stop(FanotifyDaemon daemon, FdHolder holder, StopMode.Decision decision) {
        if (decision.handOver()) {
            holder.stopping("handing over: pending events stay for the next worker");
            FanotifyDaemon.HandOver left = daemon.handOver();
            LOG.log(Level.INFO, "stop mode: hand-over (" + decision.why() + "): " + left.eventsLeft() + " pending"
                    + " event(s) left for the successor in the journal, " + left.core().readsLeft() + " fill READ(s)"
                    + " not run, fetches " + (left.core().fetchesFinished() ? "finished" : "still running")
                    + "; images stay mounted");
            SignalStop.exitIfFetchesRun(left.core().fetchesFinished());
            return;
        }
        holder.stopping("stopping: unmounting, answering in-flight events");
        LOG.log(Level.INFO, "stop mode: full (" + decision.why() + "): 0 requests left for a successor; unmounting,"
                + " answering in-flight events, then releasing the fanotify group");
        try {
            daemon.close();
        } catch (IOException e) {
            LOG.log(Level.ERROR, "shutting down: " + e.getMessage());
        }
    }
}
