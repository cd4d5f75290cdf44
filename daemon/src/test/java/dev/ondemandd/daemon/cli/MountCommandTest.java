package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ondemandd mount} / {@code umount} as the README shows them, on a freshly built image. */
@Tag("root")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class MountCommandTest {

    @TempDir
    Path dir;

    @Test
    void mountServesTheImageUntilUmountAndThenExitsZero() throws Exception {
        SmallImage image = SmallImage.build(dir, 3);
        byte[] big = image.big();
        Path mnt = Files.createDirectories(dir.resolve("mnt"));

        CompletableFuture<Integer> serving = CompletableFuture.supplyAsync(() -> Main.execute("mount", "--cache-dir",
                dir.resolve("cache").toString(), "--blob", dir.resolve("blob.img").toString(),
                dir.resolve("meta.erofs").toString(), mnt.toString()));
        for (int i = 0; i < 300 && !Files.exists(mnt.resolve("sub/hello.txt")); i++) {
            assertThat(serving).as("mount keeps serving").isNotDone();
            Thread.sleep(100);
        }
        assertThat(Files.readString(mnt.resolve("sub/hello.txt"))).isEqualTo("hello\n");
        assertThat(sha256(Files.readAllBytes(mnt.resolve("sub/big.bin")))).isEqualTo(sha256(big));

        assertThat(Main.execute("umount", mnt.toString())).isZero();
        assertThat(serving.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(Main.execute("umount", mnt.toString())).as("not mounted any more").isEqualTo(ExitCode.BAD_INPUT);
        try (var listing = Files.list(mnt)) {
            assertThat(listing.toList()).isEqualTo(List.of());
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return SmallImage.sha256(bytes);
    }
}
