package dev.ondemandd.daemon.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Small EROFS images made for kill tests: each a metadata image and one data blob (mkfs.erofs --chunksize
 * --blobdev) holding files of seeded random bytes, so every image is cold and distinct (the cache is keyed by
 * the metadata's digest).
 */
final class LazyImages {
    private static final Path MKFS = Path.of("/usr/bin/mkfs.erofs");

    /** One image: where its meta and blob are, where it is mounted, and the sha256 of each file. */
    record Image(int index, Path meta, Path blob, Path mountpoint, Map<String, String> sha256, long bytes) {
        java.net.URI blobUri() {
            return blob.toUri();
        }
    }

    private LazyImages() {
    }

    static List<Image> make(Path dir, int count, int files, int fileSize, long seed)
            throws IOException, InterruptedException {
        assumeTrue(Files.isExecutable(MKFS), "needs mkfs.erofs (apt-get install erofs-utils)");
        List<Image> images = new ArrayList<>();
        Random random = new Random(seed);
        byte[] content = new byte[fileSize];
        for (int i = 0; i < count; i++) {
            Path root = Files.createDirectories(dir.resolve("img" + i));
            Path tree = Files.createDirectories(root.resolve("tree"));
            Map<String, String> sums = new LinkedHashMap<>();
            for (int f = 0; f < files; f++) {
                random.nextBytes(content);
                Files.write(tree.resolve("f" + f), content);
                sums.put("f" + f, sha256(content));
            }
            Path blob = Files.createFile(root.resolve("blob.img"));
            Path meta = root.resolve("meta.erofs");
            Process mkfs = new ProcessBuilder(MKFS.toString(), "--quiet", "--chunksize=65536", "--blobdev=" + blob,
                    meta.toString(), tree.toString()).redirectErrorStream(true)
                    .redirectOutput(root.resolve("mkfs.log").toFile()).start();
            assertThat(mkfs.waitFor()).as("mkfs.erofs: " + Files.readString(root.resolve("mkfs.log"))).isZero();
            images.add(new Image(i, meta, blob, Files.createDirectories(dir.resolve("mnt" + i)), sums,
                    (long) files * fileSize));
        }
        return images;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
