package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.cli.ExitCode;
import dev.ondemandd.daemon.cli.Main;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.RemoteFetchers;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.fetchers.oci.ImageResolver;
import dev.ondemandd.fetchers.oci.OciFetcher;
import dev.ondemandd.fetchers.oci.OciLocation;
import dev.ondemandd.fetchers.oci.OndemanddImage;
import dev.ondemandd.fetchers.testing.GaneshaServer;
import dev.ondemandd.fetchers.testing.Packages;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain on this machine's kernel, once per remote fetcher: an EROFS image (metadata + one chunked data
 * blob, mkfs.erofs) served lazily through fanotify pre-content events from a real server on loopback — the
 * docker-registry (pushed by test-images/push-oci-image, resolved by reference), an HTTP server, nfs-ganesha —
 * and every file of the mounted image read back against the source tree.
 */
@Tag("root")
@Tag("server")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RemoteSourcesEndToEndTest {

    private static final int FILES = 32;

    @TempDir
    Path dir;

    @BeforeEach
    void needsFanotifyAndMkfs() throws Exception {
        assumeTrue(Packages.isRoot(), "needs root (CAP_SYS_ADMIN) for fanotify and mount");
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
        Packages.require("/usr/bin/mkfs.erofs", "erofs-utils");
    }

    private Path tree() throws IOException {
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("etc/deep/er"));
        Files.write(tree.resolve("large.bin"), TestBytes.of(3 * 1024 * 1024 + 4321, 7));
        Files.write(tree.resolve("etc/motd"), "served lazily from a remote source\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < FILES - 2; i++) {
            Files.write(tree.resolve("etc/deep/er/f" + i), TestBytes.of(1000 + i * 4099, 50 + i));
        }
        return tree;
    }

    /** Builds meta.erofs and blob.erofs (chunked data on a blob device) from {@code tree} into {@code out}. */
    private static void mkfs(Path tree, Path out) throws Exception {
        Files.createDirectories(out);
        Files.write(out.resolve("blob.erofs"), new byte[0]);
        run("mkfs.erofs", "--quiet", "-T0", "--all-root", "--chunksize=65536",
                "--blobdev=" + out.resolve("blob.erofs"), out.resolve("meta.erofs").toString(), tree.toString());
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", cmd)).isTrue();
    }

    @Test
    void imagePushedToARegistryIsServedFileByFile() throws Exception {
        Path tree = tree();
        try (RegistryProcess registry = RegistryProcess.start(dir.resolve("storage"), dir, "")) {
            run(Path.of("..", "test-images", "push-oci-image").toAbsolutePath().toString(), registry.authority(),
                    "e2e/fs", "v1", tree.toString());
            SourceOptions options = SourceOptions.DEFAULTS.toBuilder().plainHttp(true).build();
            OndemanddImage image;
            try (OciFetcher resolver = new OciFetcher(options)) {
                image = OndemanddImage.of(new ImageResolver(resolver)
                        .resolve(URI.create("oci://" + registry.authority() + "/e2e/fs:v1")));
            }
            URI source = registry.oci("e2e/fs");
            assertServed(tree, OciLocation.blob(source, image.metadata().digest()),
                    OciLocation.blob(source, image.blobs().get(0).descriptor().digest()), "oci", options);
        }
    }

    /**
     * What an operator types: {@code ondemandd mount --plain-http oci://host:port/repo:tag MOUNTPOINT} resolves the
     * tag to the manifest, the manifest to the metadata image and data blob, and serves them until umount.
     */
    @Test
    void imagePushedToARegistryIsMountedByTagWithTheMountCommand() throws Exception {
        Path tree = tree();
        try (RegistryProcess registry = RegistryProcess.start(dir.resolve("storage"), dir, "")) {
            run(Path.of("..", "test-images", "push-oci-image").toAbsolutePath().toString(), registry.authority(),
                    "e2e/mounted", "v2", tree.toString());
            Path mnt = Files.createDirectories(dir.resolve("mnt"));
            String reference = "oci://" + registry.authority() + "/e2e/mounted:v2";
            // A thread of its own: the common pool has one thread on a 2-core machine and mount never returns it.
            FutureTask<Integer> serving = new FutureTask<>(() -> Main.execute("mount", "--plain-http", "--cache-dir",
                    dir.resolve("cache").toString(), reference, mnt.toString()));
            Thread.ofPlatform().name("ondemandd-mount").start(serving);
            for (int i = 0; i < 300 && !Files.exists(mnt.resolve("etc/motd")); i++) {
                assertThat(serving).as("mount keeps serving").isNotDone();
                Thread.sleep(100);
            }
            try {
                assertThat(digests(mnt)).isEqualTo(digests(tree)).hasSize(FILES);
                assertThat(registry.requests("GET", "/manifests/v2")).as("resolved by tag").isPositive();
            } finally {
                assertThat(Main.execute("umount", mnt.toString())).isZero();
            }
            assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();
        }
    }

    @Test
    void aTagTheRegistryDoesNotHaveIsBadInputNotAHang() throws Exception {
        try (RegistryProcess registry = RegistryProcess.start(dir.resolve("storage"), dir, "")) {
            Path mnt = Files.createDirectories(dir.resolve("mnt"));
            assertThat(Main.execute("mount", "--plain-http", "--cache-dir", dir.resolve("cache").toString(),
                    "oci://" + registry.authority() + "/e2e/none:v1", mnt.toString())).isEqualTo(ExitCode.BAD_INPUT);
        }
    }

    @Test
    void imageOnAnHttpServerIsServedFileByFile() throws Exception {
        Path tree = tree();
        Path www = dir.resolve("www");
        mkfs(tree, www);
        try (RangeServer http = new RangeServer().root(www)) {
            assertServed(tree, http.uri("/meta.erofs"), http.uri("/blob.erofs"), "http", SourceOptions.DEFAULTS);
            assertThat(http.seen()).filteredOn(s -> s.path().equals("/blob.erofs") && s.method().equals("GET"))
                    .as("the blob is read by ranges").isNotEmpty().allSatisfy(s -> assertThat(s.range()).isNotNull());
        }
    }

    @Test
    void imageOnAnNfsExportIsServedFileByFile() throws Exception {
        Path tree = tree();
        Path export = dir.resolve("export");
        mkfs(tree, export.resolve("images"));
        try (GaneshaServer nfs = GaneshaServer.start(export, dir)) {
            String base = "nfs://127.0.0.1:" + nfs.port() + GaneshaServer.PSEUDO + "/images/";
            assertServed(tree, URI.create(base + "meta.erofs"), URI.create(base + "blob.erofs"), "nfs",
                    SourceOptions.DEFAULTS);
        }
    }

    private void assertServed(Path tree, URI meta, URI blob, String scheme, SourceOptions options) throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        ImageSpec spec = new ImageSpec(meta, List.of(blob), mnt);
        LongAdder fetchedBytes = new LongAdder();
        CoreListener counter = new CoreListener() {
            @Override
            public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                fetchedBytes.add(length);
            }
        };
        FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher(),
                RemoteFetchers.create(scheme, options, scheme + "-source", FetchMetrics.NONE));
        Core core = new Core(CoreSettings.defaults(), new SourceResolver(FanotifyServer.sourceRules(List.of(spec)),
                fetchers), counter);
        long blobSize;
        try (core; FanotifyServer server = new FanotifyServer(core, fetchers, FanotifyGroup.open(),
                Files.createDirectories(dir.resolve("cache")), FanotifySettings.defaults())) {
            server.mount(server.prepare(0, spec));
            try (var b = fetchers.open(blob)) {
                blobSize = b.size();
            }
            assertThat(digests(mnt)).isEqualTo(digests(tree)).hasSize(FILES);
            assertThat(server.stats().denied()).isZero();
            assertThat(server.stats().events()).as("blob reads raise events").isPositive();
        }
        assertThat(fetchedBytes.sum()).as("fetched lazily from " + scheme + ", never more than the blob")
                .isPositive().isLessThanOrEqualTo(blobSize);
    }

    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> map = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                map.put(root.relativize(p).toString(), TestImages.sha256(p));
            }
        }
        return map;
    }
}
