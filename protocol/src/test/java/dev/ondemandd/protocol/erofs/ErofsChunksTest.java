package dev.ondemandd.protocol.erofs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The chunk size of each blob, read from images mkfs.erofs built. */
class ErofsChunksTest {

    @TempDir
    Path dir;

    /** The mkfs.erofs test-images/build-erofs-utils builds, else the distribution's. */
    private static Path mkfs() throws IOException {
        Path built = Path.of(System.getProperty("user.home"), ".cache", "ondemandd", "erofs-utils");
        if (Files.isDirectory(built)) {
            try (Stream<Path> versions = Files.list(built)) {
                Path found = versions.map(v -> v.resolve("bin/mkfs.erofs")).filter(Files::isExecutable).sorted()
                        .reduce((a, b) -> b).orElse(null);
                if (found != null) {
                    return found;
                }
            }
        }
        Path system = Path.of("/usr/bin/mkfs.erofs");
        assumeTrue(Files.isExecutable(system), "needs mkfs.erofs (test-images/build-erofs-utils, or apt-get install"
                + " erofs-utils)");
        return system;
    }

    /** A tree of a few files of assorted sizes (one empty, one sparse-looking, one in a subdirectory). */
    private Path tree() throws IOException {
        Path src = Files.createDirectories(dir.resolve("src"));
        SplittableRandom random = new SplittableRandom(7);
        byte[] big = new byte[3 * (1 << 20) + 12345];
        random.nextBytes(big);
        Files.write(src.resolve("big.bin"), big);
        Files.write(src.resolve("small.txt"), "hello\n".getBytes());
        Files.write(src.resolve("empty"), new byte[0]);
        Path sub = Files.createDirectories(src.resolve("a/b"));
        byte[] mid = new byte[200_000];
        random.nextBytes(mid);
        Files.write(sub.resolve("mid.bin"), mid);
        return src;
    }

    private Path build(String name, String... options) throws Exception {
        Path src = tree();
        Path meta = dir.resolve(name + ".erofs");
        List<String> command = new ArrayList<>(List.of(mkfs().toString(), "--quiet"));
        command.addAll(List.of(options));
        command.addAll(List.of(meta.toString(), src.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
        assertThat(p.waitFor()).as(() -> read(dir.resolve(name + ".log"))).isZero();
        return meta;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Map<Integer, Integer> chunkSizes(byte[] image) throws IOException {
        return ErofsChunks.chunkSizes((offset, dst) -> dst.put(image, (int) offset, dst.remaining()), image.length,
                ByteBuffer.wrap(image, 0, Math.min(image.length, 4096)).slice());
    }

    @ParameterizedTest
    @ValueSource(ints = {4096, 65536, 1 << 20})
    void aBlobsUnitIsTheChunkSizeMkfsWasGiven(int chunkSize) throws Exception {
        Path blob = dir.resolve("blob.img");
        Files.write(blob, new byte[0]);
        Path meta = build("chunked", "--chunksize=" + chunkSize, "--blobdev=" + blob);

        assertThat(chunkSizes(Files.readAllBytes(meta))).containsExactly(Map.entry(1, chunkSize));
    }

    @Test
    void anImageWithoutBlobsHasNoChunkSizes() throws Exception {
        Path meta = build("plain");

        assertThat(chunkSizes(Files.readAllBytes(meta))).isEmpty();
    }

    @Test
    void chunksInTheImageItselfNameNoBlob() throws Exception {
        Path meta = build("selfchunked", "--chunksize=65536");

        assertThat(chunkSizes(Files.readAllBytes(meta))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void aDamagedImageIsRefusedOrReadNeverHangsNorThrowsAnythingElse(long seed) throws Exception {
        Path blob = dir.resolve("blob.img");
        Files.write(blob, new byte[0]);
        byte[] good = Files.readAllBytes(build("damaged", "--chunksize=65536", "--blobdev=" + blob));
        SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++) {
            byte[] image = good.clone();
            for (int flips = 1 + random.nextInt(8); flips > 0; flips--) {
                // Past the superblock: the metadata area, where inodes and directories live.
                int at = 1152 + random.nextInt(image.length - 1152);
                image[at] = (byte) random.nextInt(256);
            }
            try {
                Map<Integer, Integer> sizes = chunkSizes(image);
                assertThat(sizes.keySet()).allMatch(device -> device == 1);
                assertThat(sizes.values()).allMatch(size -> Integer.bitCount(size) == 1);
            } catch (MalformedImageException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Test
    void aRootOutsideTheImageIsMalformed() throws Exception {
        Path blob = dir.resolve("blob.img");
        Files.write(blob, new byte[0]);
        byte[] image = Files.readAllBytes(build("rootless", "--chunksize=65536", "--blobdev=" + blob));
        assertThat(image.length).as("metadata only").isLessThan(0xffff * 32);
        ByteBuffer.wrap(image).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putShort(ErofsSuperblock.SUPERBLOCK_OFFSET + 14, (short) 0xffff);

        assertThatThrownBy(() -> chunkSizes(image)).isInstanceOf(MalformedImageException.class)
                .hasMessageContaining("outside");
    }
}
