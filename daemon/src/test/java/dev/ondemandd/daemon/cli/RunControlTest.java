package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.ControlException;
import dev.ondemandd.daemon.frontend.fanotify.Mountinfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ondemandd run} (fanotify frontend, natively) in a process of its own, driven over its control socket as
 * an operator would: an image mounted and unmounted at runtime, sources reloaded (a broken file refused), a
 * malformed request answered, then {@code drain}: the daemon unmounts everything and exits 0.
 */
@Tag("root")
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RunControlTest {

    @TempDir
    Path dir;

    private Process daemon;

    @AfterEach
    void kill() {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
        }
    }

    private void writeConfig(Path config, Path socket, String sources, Path mnt, SmallImage image) throws Exception {
        Files.writeString(config, """
                {"frontend": "fanotify", "cache": {"dir": "%s"}, "control": {"socket": "%s"},
                 "sources": %s,
                 "images": [{"meta": "%s", "blobs": ["%s"], "mountpoint": "%s"}]}
                """.formatted(dir.resolve("cache"), socket, sources, image.meta().toUri(), image.blob().toUri(), mnt));
    }

    @Test
    void runtimeMountReloadAndDrainOverTheControlSocket() throws Exception {
        SmallImage image = SmallImage.build(dir, 7);
        Path configured = Files.createDirectories(dir.resolve("configured"));
        Path runtime = Files.createDirectories(dir.resolve("runtime"));
        Path socket = dir.resolve("control.sock");
        Path config = dir.resolve("config.json");
        writeConfig(config, socket, "[]", configured, image);
        String java = ProcessHandle.current().info().command().orElseThrow();
        daemon = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "run", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
        await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(socket) || !daemon.isAlive());
        assertThat(daemon.isAlive()).as(Files.readString(dir.resolve("daemon.log"))).isTrue();

        assertThat(Main.execute("mount", "--socket", socket.toString(), "--blob", image.blob().toString(),
                image.meta().toString(), runtime.toString())).isZero();
        assertThat(SmallImage.sha256(Files.readAllBytes(runtime.resolve("sub/big.bin"))))
                .isEqualTo(SmallImage.sha256(image.big()));
        try (ControlClient client = ControlClient.connect(socket)) {
            JsonNode status = client.call("status");
            assertThat(status.path("images").toString()).contains(runtime.toString());
            assertThatThrownBy(() -> client.call("mount")).isInstanceOf(ControlException.class)
                    .hasMessageContaining("meta");

            writeConfig(config, socket, "[{\"url\": \"file:///srv/{cookie}\"}]", configured, image);
            assertThat(client.call("reload").path("sources").asInt()).isEqualTo(1);
            Files.writeString(config, "{\"sources\": [{\"url\": \"gopher://x/{cookie}\"}]}");
            assertThatThrownBy(() -> client.call("reload")).isInstanceOf(ControlException.class)
                    .hasMessageContaining("the old sources stay");
        }
        assertThat(Main.execute("umount", "--socket", socket.toString(), runtime.toString())).isZero();
        assertThat(Mountinfo.isMountPoint(runtime)).isFalse();
        assertThat(Main.execute("umount", "--socket", socket.toString(), configured.toString()))
                .as("an image of the configuration stays while the daemon runs").isEqualTo(1);
        assertThat(Files.readString(configured.resolve("sub/hello.txt"))).isEqualTo("hello\n");

        try (ControlClient client = ControlClient.connect(socket)) {
            client.call("drain");
        }
        assertThat(daemon.waitFor(120, TimeUnit.SECONDS)).as("the daemon exits after a drain").isTrue();
        assertThat(daemon.exitValue()).as(Files.readString(dir.resolve("daemon.log"))).isZero();
        assertThat(Mountinfo.isMountPoint(configured)).as("a drain unmounts the configured image").isFalse();
    }
}
