package dev.ondemandd.daemon.frontend.fanotify;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The EROFS images test-images/make-fanotify-images builds (cached in test-images/out), as image specs.
 * Set ONDEMANDD_TEST_IMAGES to a manifest.json to use images built elsewhere.
 */
final class TestImages {
    /** One built image: its files, meta image, blobs and the sha256 of each file of its source tree. */
    record Image(String name, Path meta, List<Path> blobs, Map<String, String> sha256) {
        ImageSpec spec(Path mountpoint) {
            return new ImageSpec(meta.toUri(), blobs.stream().map(Path::toUri).toList(), mountpoint);
        }

        ImageSpec spec(Path mountpoint, List<URI> blobUrls) {
            return new ImageSpec(meta.toUri(), blobUrls, mountpoint);
        }
    }

    private static Path manifest;

    private TestImages() {
    }

    static synchronized Image get(String name) throws IOException, InterruptedException {
        Path m = manifest();
        Path dir = m.getParent().resolve(name);
        JsonNode root = new ObjectMapper().readTree(m.toFile());
        for (JsonNode image : root.get("images")) {
            if (image.get("name").asText().equals(name)) {
                List<Path> blobs = new ArrayList<>();
                image.get("blobs").forEach(b -> blobs.add(Path.of(b.get("path").asText())));
                return new Image(name, Path.of(image.get("meta").asText()), blobs, sums(dir.resolve("files.sha256")));
            }
        }
        // Images of make-fanotify-images itself: meta.erofs + blob.img + files.sha256 in a directory of their own.
        assumeTrue(Files.isDirectory(dir), "no test image " + name + " in " + m.getParent());
        return new Image(name, dir.resolve("meta.erofs"), List.of(dir.resolve("blob.img")),
                sums(dir.resolve("files.sha256")));
    }

    private static Map<String, String> sums(Path file) throws IOException {
        Map<String, String> sums = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank()) {
                sums.put(line.substring(66), line.substring(0, 64));
            }
        }
        return sums;
    }

    private static Path manifest() throws IOException, InterruptedException {
        if (manifest != null) {
            return manifest;
        }
        String env = System.getenv("ONDEMANDD_TEST_IMAGES");
        if (env != null && !env.isBlank()) {
            return manifest = Path.of(env);
        }
        Path root = repoRoot();
        Path script = root.resolve("test-images/make-fanotify-images");
        assumeTrue(Files.isExecutable(script) && Files.isExecutable(root.resolve("test-images/make-images")),
                "test-images/make-images is not in this checkout");
        Path log = Files.createTempFile("make-images", ".log");
        Process p = new ProcessBuilder(script.toString(), root.resolve("test-images/out").toString())
                .redirectError(log.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (p.waitFor() != 0) {
            throw new IOException("make-fanotify-images failed: " + Files.readString(log));
        }
        Files.deleteIfExists(log);
        String[] lines = out.split("\n");
        return manifest = Path.of(lines[lines.length - 1]);
    }

    /** The checkout's root: the first directory up from here holding test-images/. */
    static Path repoRoot() {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.isDirectory(root.resolve("test-images"))) {
            root = root.getParent();
        }
        assumeTrue(root != null, "test-images/ not found above " + Path.of("").toAbsolutePath());
        return root;
    }

    /** The sha256 of a file, read through whatever serves it. */
    static String sha256(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Skips (JUnit assumption) unless this process is root and the kernel delivers fanotify pre-content events. */
    static void assumePreContentEvents() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (CAP_SYS_ADMIN) for fanotify and mount");
        try (dev.ondemandd.protocol.nativeio.FanotifyGroup g = dev.ondemandd.protocol.nativeio.FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
    }

    /** {@link #assumePreContentEvents}, and mkfs.ext4 for the tests that put the cache on a small ext4 of their own. */
    static void assumePreContentEventsAndMkfsExt4() {
        assumePreContentEvents();
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/mkfs.ext4")) || Files.isExecutable(Path.of("/sbin/mkfs.ext4")),
                "needs mkfs.ext4 (e2fsprogs)");
    }

    /** Every file of {@code sums} under {@code mnt} has its sha256. */
    static void assertTreeMatches(Path mnt, Map<String, String> sums) throws IOException {
        org.assertj.core.api.Assertions.assertThat(sums).isNotEmpty();
        for (Map.Entry<String, String> e : sums.entrySet()) {
            org.assertj.core.api.Assertions.assertThat(sha256(mnt.resolve(e.getKey()))).as(e.getKey())
                    .isEqualTo(e.getValue());
        }
    }
}
