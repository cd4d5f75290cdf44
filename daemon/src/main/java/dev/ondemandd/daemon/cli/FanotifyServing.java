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
                }, new SystemdFdHolder(notifier, ListenFds.fromEnvironment()));
    }

    /** As above, handing the running daemon to {@code ready} (for the control socket). */
    static int serve(List<ImageSpec> images, Path cacheDir, FetcherRegistry fetchers, SourceResolver resolver,
            CoreSettings core, FanotifySettings settings, CoreListener listener, boolean untilUnmounted,
            ReadyHook ready, FdHolder holder) throws CliException, InterruptedException {
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
        try {
            ready.ready(daemon);
            while (!signal.await(WATCH_MILLIS)) {
                if (untilUnmounted && !daemon.allMounted()) {
                    LOG.log(Level.INFO, "an image was unmounted; stopping");
                    break;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "watching the mounts failed: " + e.getMessage() + "; stopping");
        } finally {
            LOG.log(Level.INFO, "stopping: unmounting, answering in-flight events, then releasing the fanotify group");
            try {
                daemon.close();
            } catch (IOException e) {
                LOG.log(Level.ERROR, "shutting down: " + e.getMessage());
            }
            signal.close();
        }
        return ExitCode.OK;
    }
}
