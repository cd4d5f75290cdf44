package dev.ondemandd.daemon.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.cli.Main;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceWriter;
import dev.ondemandd.fetchers.oci.OciLocation;
import dev.ondemandd.fetchers.testing.OciPush;
import dev.ondemandd.fetchers.testing.Packages;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cachefiles path end to end from a real registry, through the simulated kernel: an EROFS image (metadata +
 * a chunked data blob from mkfs.erofs) pushed to Debian's docker-registry by test-images/push-oci-image, a config
 * whose one source is {@code oci://127.0.0.1:PORT/repo@{cookie}} over plain HTTP, and a trace that reads every
 * byte of both blobs by their cookie keys ({@code sha256:<hex>}); every READ's bytes are checked against the
 * sha256 the trace carries.
 */
@Tag("server")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RegistryReplayTest {

    private static final String REPOSITORY = "replay/fs";

    @TempDir
    Path dir;

    private RegistryProcess registry;
    private List<Path> blobs;
    private Trace trace;

    @BeforeEach
    void pushAnImageAndTraceItsBlobs() throws Exception {
        Packages.require("/usr/bin/mkfs.erofs", "erofs-utils");
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("etc"));
        Files.write(tree.resolve("large.bin"), TestBytes.of(1024 * 1024 + 777, 11));
        for (int i = 0; i < 8; i++) {
            Files.write(tree.resolve("etc/f" + i), TestBytes.of(3000 + i * 7001, 20 + i));
        }
        Path meta = dir.resolve("meta.erofs");
        Path blob = dir.resolve("blob.erofs");
        Files.write(blob, new byte[0]);
        run("mkfs.erofs", "--quiet", "-T0", "--all-root", "--chunksize=65536", "--blobdev=" + blob, meta.toString(),
                tree.toString());
        registry = RegistryProcess.start(dir.resolve("storage"), dir, "");
        run(Path.of("..", "test-images", "push-oci-image").toAbsolutePath().toString(), registry.authority(),
                REPOSITORY, "v1", "--images", meta.toString(), blob.toString());
        blobs = List.of(meta, blob);
        List<byte[]> contents = List.of(Files.readAllBytes(meta), Files.readAllBytes(blob));
        trace = SampleData.readAll(contents.stream().map(OciPush::digest).toList(), contents, "simulated");
    }

    @AfterEach
    void stopTheRegistry() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void everyReadOfTheImagesBlobsComesFromTheRegistryWithTheRightBytes() throws Exception {
        DaemonConfig config = DaemonConfig.ofSources(List.of(new SourceConfig("erofs,*", "sha256:*",
                source() + "@{cookie}", true, null, null, null, null, null, null, null, null)));
        List<String> lines = new CopyOnWriteArrayList<>();

        ReplayReport report = Replay.run(config, trace, 0, CoreListener.none(), lines::add);

        assertThat(report.findings()).isEmpty();
        assertThat(report.passed()).isTrue();
        long reads = trace.events().stream().filter(TraceEvent.Read.class::isInstance).count();
        assertThat(report.reads()).isEqualTo(reads).isGreaterThan(16);
        assertThat(report.mismatches()).isZero();
        assertThat(report.opens()).isEqualTo(3);
        assertThat(registry.requests("GET", "/v2/" + REPOSITORY + "/blobs/sha256:"))
                .as("blobs read from the registry").isPositive();
    }

    /**
     * {@code images[].meta} as an image reference: resolved with the options of the source naming its registry and
     * repository (plain HTTP here; the defaults would try https and fail), to the very blobs the trace reads.
     */
    @Test
    void anImageReferenceInTheConfigResolvesThroughItsSourceToTheTracedBlobs() throws Exception {
        DaemonConfig config = DaemonConfig.ofSources(List.of(
                new SourceConfig("*", "*", "oci://" + registry.authority() + "/other@{cookie}"),
                new SourceConfig("erofs,*", "sha256:*", source() + "@{cookie}", true, null, null, null, null, null,
                        null, null, null)));
        ImageSpec byTag = new ImageSpec(URI.create(source() + ":v1"), List.of(), Path.of("/mnt/x"));
        ImageSpec blobAsBefore = new ImageSpec(URI.create(source() + "@" + OciPush.digest(new byte[0])),
                List.of(URI.create("file:///b")), Path.of("/mnt/y"));
        try (Sources sources = Sources.open(config)) {
            List<ImageSpec> resolved = sources.resolveImages(List.of(byTag, blobAsBefore));

            assertThat(resolved.get(0).meta()).isEqualTo(OciLocation.blob(URI.create(source()),
                    OciPush.digest(Files.readAllBytes(blobs.get(0)))));
            assertThat(resolved.get(0).blobs()).containsExactly(OciLocation.blob(URI.create(source()),
                    OciPush.digest(Files.readAllBytes(blobs.get(1)))));
            assertThat(resolved.get(0).mountpoint()).isEqualTo(Path.of("/mnt/x"));
            assertThat(resolved.get(1)).as("a meta with blobs is a blob, not a reference").isEqualTo(blobAsBefore);
        }
    }

    @Test
    void theReplayCommandPassesWithTheSourceInAJsonConfig() throws Exception {
        Path traceFile = dir.resolve("trace.jsonl");
        try (TraceWriter writer = TraceWriter.create(traceFile)) {
            writer.write(trace.header().orElseThrow());
            for (TraceEvent event : trace.events()) {
                writer.write(event);
            }
        }
        Path configFile = dir.resolve("config.json");
        Files.writeString(configFile, """
                {"sources": [{"volume": "erofs,*", "cookie": "sha256:*", "url": "%s@{cookie}", "plainHttp": true}],
                 "dispatcher": {"readDeadline": "20s"}}
                """.formatted(source()), StandardCharsets.UTF_8);

        assertThat(Main.execute("replay", "--config", configFile.toString(), "--trace", traceFile.toString()))
                .isZero();
        assertThat(registry.requests("GET", "/v2/" + REPOSITORY + "/blobs/sha256:")).isPositive();
    }

    private String source() {
        return "oci://" + registry.authority() + "/" + REPOSITORY;
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", cmd)).isTrue();
    }
}
