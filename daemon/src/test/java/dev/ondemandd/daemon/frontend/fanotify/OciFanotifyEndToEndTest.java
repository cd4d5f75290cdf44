package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import dev.ondemandd.fetchers.testing.Packages;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain on this machine's kernel: an image built and pushed by test-images/push-oci-image to the real
 * docker-registry, resolved by reference, its metadata and data blob served lazily from the registry through
 * fanotify pre-content events, and every file of the mounted EROFS read back against the source tree.
 */
@Tag("root")
@Tag("server")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OciFanotifyEndToEndTest {

    @TempDir
    Path dir;

    @Test
    void imagePushedToARegistryIsServedFileByFile() throws Exception {
        assumeTrue(Packages.isRoot(), "needs root (CAP_SYS_ADMIN) for fanotify and mount");
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
        Packages.require("/usr/bin/mkfs.erofs", "erofs-utils");
        Path tree = dir.resolve("tree");
        Files.createDirectories(tree.resolve("etc/deep/er"));
        Files.write(tree.resolve("large.bin"), TestBytes.of(3 * 1024 * 1024 + 4321, 7));
        Files.write(tree.resolve("etc/motd"), "served lazily from a registry\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < 30; i++) {
            Files.write(tree.resolve("etc/deep/er/f" + i), TestBytes.of(1000 + i * 4099, 50 + i));
        }

        try (RegistryProcess registry = RegistryProcess.start(dir.resolve("storage"), dir, "")) {
            Path script = Path.of("..", "test-images", "push-oci-image").toAbsolutePath();
            Process push = new ProcessBuilder(script.toString(), registry.authority(), "e2e/fs", "v1", tree.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            push.getInputStream().readAllBytes();
            assertThat(push.waitFor(120, TimeUnit.SECONDS) && push.exitValue() == 0).as("push-oci-image").isTrue();

            SourceOptions options = SourceOptions.DEFAULTS.toBuilder().plainHttp(true).build();
            OndemanddImage image;
            try (OciFetcher resolver = new OciFetcher(options)) {
                image = OndemanddImage.of(new ImageResolver(resolver)
                        .resolve(URI.create("oci://" + registry.authority() + "/e2e/fs:v1")));
            }
            URI source = registry.oci("e2e/fs");
            Path mnt = Files.createDirectories(dir.resolve("mnt"));
            ImageSpec spec = new ImageSpec(OciLocation.blob(source, image.metadata().digest()),
                    List.of(OciLocation.blob(source, image.blobs().get(0).descriptor().digest())), mnt);

            LongAdder fetchedBytes = new LongAdder();
            CoreListener counter = new CoreListener() {
                @Override
                public void onFetch(ObjectKey key, long offset, int length, int errno, long latencyNanos) {
                    fetchedBytes.add(length);
                }
            };
            FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher(),
                    RemoteFetchers.create("oci", options, "registry", FetchMetrics.NONE));
            Core core = new Core(CoreSettings.defaults(), new SourceResolver(FanotifyServer.sourceRules(List.of(spec)),
                    fetchers), counter);
            try (core; FanotifyServer server = new FanotifyServer(core, fetchers, FanotifyGroup.open(),
                    Files.createDirectories(dir.resolve("cache")), FanotifySettings.defaults())) {
                server.mount(server.prepare(0, spec));

                assertThat(digests(mnt)).isEqualTo(digests(tree)).hasSize(32);
                assertThat(server.stats().denied()).isZero();
                assertThat(server.stats().events()).as("blob reads raise events").isPositive();
                assertThat(fetchedBytes.sum()).as("fetched lazily from the registry, never more than the blob")
                        .isPositive().isLessThanOrEqualTo(image.blobs().get(0).descriptor().size());
            }
        }
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
