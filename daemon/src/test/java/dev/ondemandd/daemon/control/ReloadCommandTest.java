package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.config.ConfigLoader;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CacheTarget;
import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import dev.ondemandd.daemon.core.ReadReply;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code reload} over the control socket, against the real core and file sources: new OPENs use the new
 * sources, objects already open keep their blob, and a configuration that does not work changes nothing.
 */
class ReloadCommandTest {

    private static final int SIZE = 2 * CoreSettings.PAGE_SIZE;

    @TempDir
    Path dir;

    private Path config;
    private LiveSources sources;
    private Core core;
    private ControlServer server;

    /** A cache file in memory. */
    private static final class Memory implements CacheTarget {
        final byte[] bytes = new byte[SIZE];

        @Override
        public synchronized void write(ByteBuffer src, long offset) {
            int n = Math.min(src.remaining(), bytes.length - (int) offset);
            src.get(src.position(), bytes, (int) offset, n);
            src.position(src.limit());
        }

        @Override
        public void close() {
        }
    }

    private static byte[] filled(int value) {
        byte[] b = new byte[SIZE];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private void writeConfig(String sourcesJson) throws Exception {
        Files.writeString(config, "{\"sources\": " + sourcesJson + "}");
    }

    private String source(String subdir) {
        return "[{\"volume\": \"erofs,*\", \"cookie\": \"*\", \"url\": \"" + dir.resolve(subdir).toUri() + "{cookie}\"}]";
    }

    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(dir.resolve("old"));
        Files.createDirectories(dir.resolve("new"));
        Files.write(dir.resolve("old/x"), filled(1));
        Files.write(dir.resolve("new/x"), filled(2));
        Files.write(dir.resolve("new/y"), filled(3));
        config = dir.resolve("config.json");
        writeConfig(source("old"));
        DaemonConfig cfg = ConfigLoader.load(config);
        sources = new LiveSources(Sources.open(cfg), cfg.sourceRules(), List.of());
        core = new Core(CoreSettings.defaults(), sources.resolver(), CoreListener.none());
        server = ControlServer.start(ControlSettings.rootOnly(dir.resolve("control.sock")),
                Map.of("reload", new ReloadCommand(config, sources, FetchMetrics.NONE)));
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        core.close();
        sources.close();
    }

    private ObjectHandle open(String cookie, Memory target) throws Exception {
        CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
        core.open(ObjectKey.of("erofs,img", cookie), target, new OpenReply() {
            @Override
            public void opened(ObjectHandle handle) {
                opened.complete(handle);
            }

            @Override
            public void failed(int errno) {
                opened.completeExceptionally(new AssertionError("OPEN " + cookie + " failed with errno " + errno));
            }
        });
        return opened.get(10, TimeUnit.SECONDS);
    }

    private static void read(ObjectHandle handle, long offset) throws Exception {
        CompletableFuture<Integer> answer = new CompletableFuture<>();
        handle.read(offset, CoreSettings.PAGE_SIZE, new ReadReply() {
            @Override
            public void filled() {
                answer.complete(0);
            }

            @Override
            public void failed(int errno) {
                answer.complete(errno);
            }
        });
        assertThat(answer.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void newOpensUseTheNewSourcesAndOpenObjectsKeepTheirBlob() throws Exception {
        Memory before = new Memory();
        ObjectHandle x = open("x", before);
        read(x, 0);
        assertThat(before.bytes[0]).isEqualTo((byte) 1);

        writeConfig(source("new"));
        try (ControlClient client = ControlClient.connect(server.socket())) {
            assertThat(client.call("reload").path("sources").asInt()).isEqualTo(1);
        }

        read(x, CoreSettings.PAGE_SIZE); // the object opened before the reload reads on from its blob
        assertThat(before.bytes[SIZE - 1]).as("old source's bytes").isEqualTo((byte) 1);
        Memory y = new Memory();
        read(open("y", y), 0);
        assertThat(y.bytes[0]).as("only the new source has y").isEqualTo((byte) 3);

        x.close();
        Memory after = new Memory();
        read(open("x", after), 0);
        assertThat(after.bytes[0]).as("x re-opened after its close comes from the new source").isEqualTo((byte) 2);
    }

    @Test
    void aBrokenConfigurationIsAnErrorReplyAndTheOldSourcesStay() throws Exception {
        try (ControlClient client = ControlClient.connect(server.socket())) {
            for (String broken : List.of("{\"sources\": [", "{\"sources\": [{\"url\": \"gopher://x/{cookie}\"}]}",
                    "{\"sources\": [{\"url\": \"file:///x/{nope}\"}]}", "{\"sourcez\": []}")) {
                Files.writeString(config, broken);
                assertThatThrownBy(() -> client.call("reload")).as(broken).isInstanceOf(ControlException.class)
                        .hasMessageContaining(config.toString()).hasMessageContaining("the old sources stay");
            }
            var withArgument = ControlProtocol.request("reload");
            withArgument.put("config", "/etc/passwd");
            assertThatThrownBy(() -> client.call(withArgument)).isInstanceOf(ControlException.class)
                    .hasMessageContaining("takes no arguments");

            Memory x = new Memory();
            read(open("x", x), 0);
            assertThat(x.bytes[0]).as("still the old source").isEqualTo((byte) 1);
            Files.delete(config);
            assertThatThrownBy(() -> client.call("reload")).isInstanceOf(ControlException.class);
        }
    }

    @Test
    void theCliReloadsAndSaysWhyWhenTheDaemonRefuses() throws Exception {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = new picocli.CommandLine(new ReloadCli()).setOut(new java.io.PrintWriter(out))
                .setErr(new java.io.PrintWriter(err));
        writeConfig(source("new"));
        assertThat(cli.execute("--socket", server.socket().toString())).as(err.toString()).isZero();
        assertThat(out.toString()).contains("reloaded 1 source(s) from " + config);

        Files.writeString(config, "{\"sources\": 7}");
        assertThat(cli.execute("--socket", server.socket().toString())).isEqualTo(1);
        assertThat(err.toString()).contains("the old sources stay");
        assertThat(cli.execute("--socket", dir.resolve("none.sock").toString())).isEqualTo(StatusCommand.NOT_RUNNING);
    }
}
