package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

/**
 * A freshly built chunked EROFS image for the mount tests: {@code src/sub/big.bin} (3 MiB of seeded random bytes)
 * and {@code src/sub/hello.txt}, as {@code meta.erofs} plus {@code blob.img}. Skips (assumption) where the fanotify
 * frontend cannot run: not root, no pre-content events, no mkfs.erofs.
 *
 * @param meta the metadata image
 * @param blob its data blob
 * @param big  the content of {@code sub/big.bin}
 */
public record SmallImage(Path meta, Path blob, byte[] big) {

    /** Builds the image in {@code dir}. */
    public static SmallImage build(Path dir, long seed) throws IOException, InterruptedException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for fanotify and mount");
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mkfs.erofs")), "needs mkfs.erofs (apt-get install erofs-utils)");
        Path src = Files.createDirectories(dir.resolve("src/sub"));
        byte[] big = new byte[3 << 20];
        new Random(seed).nextBytes(big);
        Files.write(src.resolve("big.bin"), big);
        Files.writeString(src.resolve("hello.txt"), "hello\n");
        Path blob = Files.createFile(dir.resolve("blob.img"));
        Path meta = dir.resolve("meta.erofs");
        Process mkfs = new ProcessBuilder("mkfs.erofs", "--chunksize=65536", "--blobdev=" + blob, meta.toString(),
                dir.resolve("src").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mkfs.log").toFile()).start();
        assertThat(mkfs.waitFor()).isZero();
        return new SmallImage(meta, blob, big);
    }

    /** The sha256 of {@code bytes}, in hex. */
    public static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
