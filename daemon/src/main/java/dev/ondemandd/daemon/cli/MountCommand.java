package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.frontend.fanotify.FanotifySettings;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.daemon.trace.TraceFormat;
import dev.ondemandd.daemon.trace.TraceRecorder;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ondemandd mount}: mounts one image through the fanotify frontend and serves it in the foreground until
 * it is unmounted ({@code ondemandd umount}) or the process gets SIGTERM/SIGINT (then it unmounts it).
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Mount one EROFS image whose data blobs are filled lazily through fanotify pre-content events"
                + " (Linux 6.14+) and serve it in the foreground until it is unmounted (ondemandd umount) or"
                + " SIGTERM/SIGINT. Needs root.",
            "META and each --blob are URLs (file:, …) or local paths."})
final class MountCommand implements Callable<Integer> {
    /** Fetch buffers this size copy through the CPU cache between source and cache file (measured faster). */
    static final int DEFAULT_BUFFER_SIZE = 128 * 1024;
    /**
     * From a remote source each buffer is one request: a whole fill unit per request spares the round trips
     * (over HTTP with 10 ms latency, 128 KiB buffers made a 1 MiB unit cost 8 sequential requests).
     */
    static final int REMOTE_BUFFER_SIZE = FanotifySettings.DEFAULT_UNIT_SIZE;

    @Parameters(index = "0", paramLabel = "META", description = "The metadata image, fetched whole before mounting.")
    String meta;

    @Parameters(index = "1", paramLabel = "MOUNTPOINT", description = "An existing, empty directory.")
    Path mountpoint;

    @Option(names = "--blob", paramLabel = "URL", description = "A data blob, in device-table order (repeat).")
    List<String> blobs = new ArrayList<>();

    @Option(names = "--cache-dir", paramLabel = "DIR", defaultValue = "/var/cache/ondemandd",
            description = "Where the metadata image and the blobs' sparse cache files live, on ext4, xfs or btrfs"
                    + " (default: ${DEFAULT-VALUE}).")
    Path cacheDir;

    @Option(names = "--fill-ahead", paramLabel = "UNITS", defaultValue = "" + FanotifySettings.DEFAULT_FILL_AHEAD,
            description = "1 MiB units filled ahead of a sequential reader (default: ${DEFAULT-VALUE}).")
    int fillAhead;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "" + CoreSettings.DEFAULT_CONCURRENCY,
            description = "Fetches at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--record-trace", paramLabel = "FILE", description = "Record every request to FILE (JSON Lines).")
    Path recordTrace;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.WARNING);
        ImageSpec spec = new ImageSpec(url(meta), blobs.stream().map(MountCommand::url).toList(),
                mountpoint.toAbsolutePath().normalize());
        CoreSettings core;
        FanotifySettings settings;
        try {
            core = CoreSettings.defaults().withConcurrency(concurrency).withBufferSize(bufferSize(spec.blobs()));
            settings = FanotifySettings.defaults().withFillAhead(fillAhead);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.BAD_INPUT, e.getMessage(), e);
        }
        try (Sources sources = RunCommand.orBadInput(() -> Sources.open(DaemonConfig.ofSources(List.of())));
                TraceRecorder recorder = recordTrace == null ? null
                        : RunCommand.recorder(recordTrace, TraceFormat.FANOTIFY_LAYOUT)) {
            return FanotifyServing.serve(List.of(spec), cacheDir.toAbsolutePath(), sources.fetchers(), List.of(),
                    core, settings, recorder == null ? CoreListener.none() : recorder, true, () -> {
                        System.out.println("mounted " + spec.meta() + " on " + spec.mountpoint()
                                + "; serving until `ondemandd umount " + spec.mountpoint() + "` or SIGTERM");
                        System.out.flush();
                    });
        }
    }

    /** The fetch buffer size for these blobs: small for local files, a whole fill unit for anything remote. */
    static int bufferSize(List<URI> blobs) {
        return blobs.stream().allMatch(u -> "file".equalsIgnoreCase(u.getScheme())) ? DEFAULT_BUFFER_SIZE
                : REMOTE_BUFFER_SIZE;
    }

    /** A URL as given, or a local path made a file: URL. */
    static URI url(String text) {
        if (text.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return URI.create(text);
        }
        return Path.of(text).toAbsolutePath().normalize().toUri();
    }
}
