package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.ondemandd.daemon.cli.Main;
import dev.ondemandd.daemon.cli.SmallImage;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.frontend.fanotify.FanotifyDaemon;
import dev.ondemandd.daemon.frontend.fanotify.FanotifySettings;
import dev.ondemandd.daemon.frontend.fanotify.Mountinfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ondemandd mount} / {@code umount} against a running fanotify daemon, natively: the daemon serves no
 * image at start; the CLI asks it over the control socket to mount one, the image reads back right, and umount
 * releases it while the daemon serves on.
 */
@Tag("root")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FanotifyRuntimeMountTest {

    @TempDir
    Path dir;

    @Test
    void theCliMountsAnImageThroughTheRunningDaemonAndUnmountsIt() throws Exception {
        SmallImage image = SmallImage.build(dir, 5);
        byte[] big = image.big();
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path cache = dir.resolve("cache");
        Path socket = dir.resolve("control.sock");

        try (LiveSources sources = new LiveSources(Sources.open(DaemonConfig.ofSources(List.of())), List.of(),
                FanotifyDaemon.ownRules(List.of(), cache));
                FanotifyDaemon daemon = FanotifyDaemon.start(List.of(), cache, sources.fetchers(), sources.resolver(),
                        CoreSettings.defaults(), FanotifySettings.defaults(), CoreListener.none())) {
            Map<String, ControlCommand> commands = new HashMap<>();
            FanotifyImages images = new FanotifyImages(daemon.server(), sources, List.of());
            ImageCommands.register(commands, images);
            try (ControlServer server = ControlServer.start(ControlSettings.rootOnly(socket), commands)) {
                assertThat(Main.execute("mount", "--socket", socket.toString(), dir.resolve("no-such.erofs").toString(),
                        mnt.toString())).as("a missing image is refused").isEqualTo(1);
                assertThat(Mountinfo.isMountPoint(mnt)).isFalse();

                assertThat(Main.execute("mount", "--socket", socket.toString(), "--blob",
                        image.blob().toString(), image.meta().toString(), mnt.toString()))
                        .isZero();
                assertThat(Files.readString(mnt.resolve("sub/hello.txt"))).isEqualTo("hello\n");
                assertThat(sha256(Files.readAllBytes(mnt.resolve("sub/big.bin")))).isEqualTo(sha256(big));
                assertThat(images.images()).singleElement()
                        .satisfies(i -> assertThat(i.mountpoint()).isEqualTo(mnt.toString()));
                assertThat(Main.execute("mount", "--socket", socket.toString(), "--fsid", "x", "--blob",
                        image.blob().toString(), image.meta().toString(), mnt.toString()))
                        .as("fsid is a cachefiles option").isEqualTo(1);

                assertThat(Main.execute("umount", "--socket", socket.toString(), mnt.toString())).isZero();
                assertThat(Mountinfo.isMountPoint(mnt)).isFalse();
                assertThat(images.images()).isEmpty();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(daemon.core().stats()
                        .openObjects()).as("the image's blob is released").isZero());

                // the daemon serves on: the same image mounts again, from what is already in the cache
                assertThat(Main.execute("mount", "--socket", socket.toString(), "--blob",
                        image.blob().toString(), image.meta().toString(), mnt.toString()))
                        .isZero();
                assertThat(sha256(Files.readAllBytes(mnt.resolve("sub/big.bin")))).isEqualTo(sha256(big));
                assertThat(Main.execute("umount", "--socket", socket.toString(), mnt.toString())).isZero();
            }
        }
        assertThat(Mountinfo.isMountPoint(mnt)).isFalse();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return SmallImage.sha256(bytes);
    }
}
