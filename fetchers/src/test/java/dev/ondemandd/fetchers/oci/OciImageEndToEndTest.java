package dev.ondemandd.fetchers.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.decorators.Decorators;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.testing.OciPush;
import dev.ondemandd.fetchers.testing.Packages;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image built and pushed by {@code test-images/push-oci-image} to the real registry, resolved and pulled
 * range by range through the OCI fetcher, then checked file by file with fsck.erofs.
 */
@Tag("server")
class OciImageEndToEndTest {

    private static final int RANGE = 1024 * 1024;

    @TempDir
    Path work;

    @Test
    void pushedImageIsResolvedAndPulledByRangeWithEveryFileRight() throws Exception {
        Packages.require("/usr/bin/mkfs.erofs", "erofs-utils");
        Path tree = work.resolve("tree");
        Files.createDirectories(tree.resolve("dir/sub"));
        Files.write(tree.resolve("big.bin"), TestBytes.of(2 * 1024 * 1024 + 12345, 1));
        Files.write(tree.resolve("dir/small.txt"), "hello ondemandd\n".getBytes(StandardCharsets.UTF_8));
        Files.write(tree.resolve("dir/sub/odd.bin"), TestBytes.of(70_001, 2));
        for (int i = 0; i < 20; i++) {
            Files.write(tree.resolve("dir/f" + i), TestBytes.of(i * 333, 100 + i));
        }
        try (RegistryProcess registry = RegistryProcess.start(work.resolve("storage"), work, "")) {
            String manifestDigest = run(Path.of("..", "test-images", "push-oci-image").toAbsolutePath().toString(),
                    registry.authority(), "e2e/image", "v1", tree.toString()).trim();

            try (OciFetcher oci = new OciFetcher(SourceOptions.DEFAULTS.toBuilder().plainHttp(true).build())) {
                OndemanddImage image = OndemanddImage.of(new ImageResolver(oci).resolve(
                        URI.create("oci://" + registry.authority() + "/e2e/image:v1")));
                assertThat(image.image().manifestDigest()).isEqualTo(manifestDigest);
                assertThat(image.blobs()).hasSize(1);

                Fetcher fetcher = Decorators.standard(oci, "e2e", RetryPolicy.DEFAULT, FetchMetrics.NONE);
                URI source = registry.oci("e2e/image");
                assertThat(image.metadataLocation()).isEqualTo(OciLocation.blob(source, image.metadata().digest()));
                Path meta = pull(fetcher, image.metadataLocation(), work.resolve("meta"));
                Path blob = pull(fetcher, image.blobLocations().get(0), work.resolve("blob"));
                assertThat(OciPush.digest(Files.readAllBytes(meta))).isEqualTo(image.metadata().digest());

                Path out = work.resolve("extracted");
                run("fsck.erofs", "--device=" + blob, "--extract=" + out, "--no-preserve", meta.toString());
                assertThat(digests(out)).isEqualTo(digests(tree)).hasSize(23);
            }
        }
    }

    /** Reads a blob in 1 MiB ranges (the last one short) into a file. */
    private static Path pull(Fetcher fetcher, URI location, Path file) throws IOException {
        try (Blob blob = fetcher.open(location);
                FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(RANGE);
            for (long off = 0; off < blob.size(); off += RANGE) {
                buf.clear().limit((int) Math.min(RANGE, blob.size() - off));
                blob.read(off, buf);
                buf.flip();
                ch.write(buf, off);
            }
        }
        return file;
    }

    private static Map<String, String> digests(Path root) throws IOException {
        Map<String, String> map = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                map.put(root.relativize(p).toString(), OciPush.digest(Files.readAllBytes(p)));
            }
        }
        return map;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0).as(String.join(" ", cmd)).isTrue();
        return out;
    }
}
