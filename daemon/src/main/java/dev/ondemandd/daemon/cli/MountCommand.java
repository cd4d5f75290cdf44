package dev.ondemandd.daemon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.MountRequest;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.frontend.fanotify.FanotifyDaemon;
import dev.ondemandd.daemon.frontend.fanotify.FanotifySettings;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.daemon.trace.TraceFormat;
import dev.ondemandd.daemon.trace.TraceRecorder;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.oci.OciLocation;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ondemandd mount}: mounts one image through the fanotify frontend and serves it in the foreground until
 * it is unmounted ({@code ondemandd umount}) or the process gets SIGTERM/SIGINT (then it unmounts it).
 */
@Command(name = "mount", mixinStandardHelpOptions = true,
        description = {"Mount one EROFS image whose data blobs are filled lazily. With a daemon running (ondemandd run,"
                + " its control socket), the daemon mounts and serves it with its frontend: cachefiles (-o fsid=,"
                + " device=, domain_id=) or fanotify; this command returns at once. Without one, this process mounts"
                + " it through fanotify pre-content events (Linux 6.14+) and serves it in the foreground until it is"
                + " unmounted (ondemandd umount) or SIGTERM/SIGINT. Needs root.",
            "META and each --blob are URLs (file:, http(s):, oci:, nfs:) or local paths. Without --blob, an oci:// META"
                + " is an image reference, oci://host[:port]/repository[:tag|@sha256:<hex>], resolved to its"
                + " metadata image and data blobs (docs/oci-layout.md); --plain-http, --username/--password-file,"
                + " --docker-config, --ca-file and --mirror configure that registry as the same keys of a source do."})
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

    @Option(names = "--plain-http", description = "Talk to the OCI registry over http:// (loopback, tests).")
    boolean plainHttp;

    @Option(names = "--username", paramLabel = "USER", description = "User for the registry (Basic or its token"
            + " server); the password comes from --password-file.")
    String username;

    @Option(names = "--password-file", paramLabel = "FILE", description = "A file holding the registry password"
            + " (never on the command line, where ps shows it).")
    Path passwordFile;

    @Option(names = "--docker-config", paramLabel = "FILE", description = "A docker config.json whose auths give"
            + " credentials per registry.")
    Path dockerConfig;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "PEM certificates to trust instead of the system's.")
    Path caFile;

    @Option(names = "--mirror", paramLabel = "URL", description = "An OCI mirror oci://host[:port][/prefix], tried"
            + " before the registry (repeat).")
    List<String> mirrors = new ArrayList<>();

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

    @Option(names = "--socket", paramLabel = "PATH", description = "Ask the daemon listening on this control socket"
            + " to mount the image (default: the daemon on /run/ondemandd/control.sock when one runs, else"
            + " serve it from this process through fanotify).")
    Path socket;

    @Option(names = "--fsid", paramLabel = "ID", description = "cachefiles daemon: the image's fsid (default: derived"
            + " from META, so its cache is found again).")
    String fsid;

    @Option(names = "--domain-id", paramLabel = "ID", description = "cachefiles daemon: the domain whose mounts share"
            + " the blobs they have in common (domain_id=).")
    String domainId;

    @Mixin
    LoggingOptions logging;

    @Spec
    CommandSpec commandSpec;

    /** Options that configure this process's own serving, which a daemon's mount does not use. */
    private static final List<String> STANDALONE_OPTIONS = List.of("--cache-dir", "--fill-ahead", "--concurrency",
            "--record-trace", "--plain-http", "--username", "--password-file", "--docker-config", "--ca-file",
            "--mirror");

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.WARNING);
        ControlClient daemon = DaemonConnection.open(socket, fsid != null || domainId != null);
        if (daemon != null) {
            try (daemon) {
                return viaDaemon(daemon);
            }
        }
        ImageSpec spec = new ImageSpec(url(meta), blobs.stream().map(MountCommand::url).toList(),
                mountpoint.toAbsolutePath().normalize());
        CoreSettings core;
        FanotifySettings settings;
        try {
            core = CoreSettings.defaults().withConcurrency(concurrency).withBufferSize(bufferSize(
                    Sources.isImageReference(spec) ? List.of(spec.meta()) : spec.blobs()));
            settings = FanotifySettings.defaults().withFillAhead(fillAhead);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.BAD_INPUT, e.getMessage(), e);
        }
        List<SourceConfig> registry = registrySource(spec);
        try (Sources sources = RunCommand.orBadInput(() -> Sources.open(DaemonConfig.ofSources(registry)));
                TraceRecorder recorder = recordTrace == null ? null
                        : RunCommand.recorder(recordTrace, TraceFormat.FANOTIFY_LAYOUT)) {
            List<ImageSpec> images = FanotifyServing.resolve(sources, List.of(spec));
            Path dir = cacheDir.toAbsolutePath();
            return FanotifyServing.serve(images, dir, sources.fetchers(),
                    new SourceResolver(FanotifyDaemon.ownRules(images, dir), sources.fetchers()),
                    core, settings, recorder == null ? CoreListener.none() : recorder, true, () -> {
                        System.out.println("mounted " + meta + " on " + spec.mountpoint()
                                + "; serving until `ondemandd umount " + spec.mountpoint() + "` or SIGTERM");
                        System.out.flush();
                    });
        }
    }

    /** Asks the running daemon to mount the image; it serves it with its own frontend and sources. */
    private int viaDaemon(ControlClient daemon) throws CliException {
        for (String option : STANDALONE_OPTIONS) {
            if (commandSpec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new CliException(ExitCode.BAD_INPUT, option + " configures a mount served by this process; the"
                        + " running daemon serves this one with its own configuration (leave it out, or stop the daemon)");
            }
        }
        MountRequest request = new MountRequest(url(meta), blobs.stream().map(MountCommand::url).toList(),
                mountpoint.toAbsolutePath().normalize(), fsid, domainId);
        JsonNode result = DaemonConnection.call(daemon, request.toRequest(), "mount");
        System.out.println("mounted " + meta + " on " + request.mountpoint() + " (served by the daemon"
                + (result.hasNonNull("options") ? ", -o " + result.get("options").asText() : "") + "); `ondemandd umount "
                + request.mountpoint() + "` unmounts it");
        System.out.flush();
        return ExitCode.OK;
    }

    /**
     * For an image reference, a source for its repository with the registry options given, so the reference is
     * resolved and its blobs fetched with them; nothing otherwise.
     */
    private List<SourceConfig> registrySource(ImageSpec spec) throws CliException {
        boolean registryOptions = plainHttp || username != null || passwordFile != null || dockerConfig != null
                || caFile != null || !mirrors.isEmpty();
        if (!Sources.isImageReference(spec)) {
            if (registryOptions) {
                throw new CliException(ExitCode.BAD_INPUT, "--plain-http, --username, --password-file,"
                        + " --docker-config, --ca-file and --mirror apply to an oci:// image reference without --blob");
            }
            return List.of();
        }
        OciLocation image;
        try {
            image = OciLocation.parse(spec.meta());
        } catch (FetchException e) {
            throw new CliException(ExitCode.BAD_INPUT, e.getMessage(), e);
        }
        if ((username == null) != (passwordFile == null)) {
            throw new CliException(ExitCode.BAD_INPUT, "--username and --password-file go together");
        }
        Credentials credentials = null;
        if (username != null) {
            try {
                credentials = new Credentials(username, Files.readString(passwordFile).strip());
            } catch (IOException e) {
                throw new CliException(ExitCode.BAD_INPUT, "cannot read --password-file " + passwordFile + ": "
                        + e.getMessage(), e);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCode.BAD_INPUT, "--username: " + e.getMessage(), e);
            }
        }
        return List.of(new SourceConfig("*", "*", "oci://" + image.authority() + "/" + image.repository() + "@{cookie}",
                plainHttp, credentials, dockerConfig == null ? null : dockerConfig.toString(), mirrors,
                caFile == null ? null : caFile.toString(), null, null, null, null));
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
