package dev.ondemandd.daemon.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.daemon.core.CoreStats;
import dev.ondemandd.daemon.metrics.Metrics;
import dev.ondemandd.daemon.ops.KernelVersion;
import dev.ondemandd.daemon.ops.KernelWarnings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import picocli.CommandLine;

class ControlServerTest {

    @TempDir
    Path dir;

    private Path socket;
    private final Metrics metrics = Metrics.create();
    private ControlServer server;

    @BeforeEach
    void socketPath() {
        socket = dir.resolve("run/control.sock");
    }

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
        metrics.close();
    }

    private DaemonStatus status() {
        KernelVersion kernel = KernelVersion.parse("6.9.1");
        return new DaemonStatus(Instant.now().minusSeconds(3723), "cachefiles", kernel,
                KernelWarnings.check(kernel, KernelWarnings.Path.CACHEFILES), () -> new CoreStats(3, 2, 5, 4),
                metrics.daemon(), () -> false);
    }

    private ControlServer start(ControlSettings settings) throws IOException {
        server = ControlServer.start(settings, Map.of(
                "status", status(),
                "drain", request -> {
                    throw new ControlException("drain is not wired in this test daemon");
                },
                "explode", request -> {
                    throw new IllegalStateException("bug");
                }));
        return server;
    }

    /** Runs the real CLI command; returns exit code, stdout, stderr. */
    private static String[] cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new StatusCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int code = cmd.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void statusAsRootPrintsOneJsonObject() throws Exception {
        metrics.daemon().read("registry", 8192, 2_000_000, 0);
        metrics.daemon().read("registry", 0, 1_000_000, 110);
        start(ControlSettings.rootOnly(socket));

        String[] result = cli("--socket", socket.toString(), "--json");

        assertThat(result[0]).as(result[2]).isEqualTo("0");
        JsonNode status = new ObjectMapper().readTree(result[1]);
        assertThat(result[1].strip().lines()).hasSize(1);
        assertThat(status.path("frontend").asText()).isEqualTo("cachefiles");
        assertThat(status.path("kernel").asText()).isEqualTo("6.9.1");
        assertThat(status.path("uptimeSeconds").asLong()).isBetween(3723L, 3800L);
        assertThat(status.path("objects").path("open").asInt()).isEqualTo(3);
        assertThat(status.path("requests").path("queued").asInt()).isEqualTo(5);
        assertThat(status.path("requests").path("inflight").asInt()).isEqualTo(4);
        assertThat(status.path("sources").path("registry").path("reads").asLong()).isEqualTo(1);
        assertThat(status.path("sources").path("registry").path("readFailures").asLong()).isEqualTo(1);
        assertThat(status.path("sources").path("registry").path("bytes").asLong()).isEqualTo(8192);
        assertThat(status.path("kernelWarnings")).singleElement()
                .satisfies(w -> assertThat(w.asText()).contains("2024"));
    }

    @Test
    void statusAsATableForPeople() {
        metrics.daemon().read("registry", 3 << 20, 2_000_000, 0);
        try {
            start(ControlSettings.rootOnly(socket));
        } catch (IOException e) {
            throw new AssertionError(e);
        }

        String[] result = cli("--socket", socket.toString());

        assertThat(result[0]).isEqualTo("0");
        assertThat(result[1]).contains("up 1h02m0", "frontend cachefiles", "kernel 6.9.1", "3 open, 2 keys",
                "5 queued, 4 in flight", "warning   kernel 6.9.1", "SOURCE", "registry", "3.0 MiB");
    }

    @Test
    void noDaemonIsExitCodeThreeWithWhatToCheck() {
        String[] result = cli("--socket", dir.resolve("nothing.sock").toString());

        assertThat(result[0]).isEqualTo(Integer.toString(StatusCommand.NOT_RUNNING));
        assertThat(result[2]).contains("is ondemandd running?");
    }

    @Test
    void theSocketIsOwnerOnlyUnlessGroupsAreAllowed() throws Exception {
        start(ControlSettings.rootOnly(socket));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        server.close();
        assertThat(socket).doesNotExist();

        start(new ControlSettings(socket, Set.of(), Set.of(4242L)));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        assertThat(Files.getAttribute(socket, "unix:gid")).isEqualTo(4242);
    }

    @Test
    void malformedRequestsGetErrorRepliesAndTheConnectionGoesOn() throws Exception {
        start(ControlSettings.rootOnly(socket));
        try (AFUNIXSocket raw = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket))) {
            raw.setSoTimeout(10_000);
            InputStream in = raw.getInputStream();
            OutputStream out = raw.getOutputStream();
            for (String bad : List.of("not json", "[1,2]", "{\"cmd\":42}", "{}", "{\"cmd\":\"reboot\"}",
                    "{\"cmd\":\"" + "x".repeat(100) + "\"}", "{\"cmd\":\"drain\"}", "{\"cmd\":\"explode\"}")) {
                out.write((bad + "\n").getBytes(StandardCharsets.UTF_8));
                JsonNode reply = new ObjectMapper().readTree(ControlProtocol.readLine(in, 1 << 20));
                assertThat(reply.path("ok").asBoolean()).as(bad).isFalse();
                assertThat(reply.path("error").asText()).as(bad).isNotBlank();
            }
            out.write("{\"cmd\":\"commands\"}\n".getBytes(StandardCharsets.UTF_8));
            JsonNode reply = new ObjectMapper().readTree(ControlProtocol.readLine(in, 1 << 20));
            assertThat(reply.path("result").toString()).contains("status", "drain", "commands");
        }
    }

    @Test
    void anOversizedLineIsRefusedAndTheDaemonKeepsServing() throws Exception {
        start(ControlSettings.rootOnly(socket));
        try (AFUNIXSocket raw = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket))) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(new byte[ControlProtocol.MAX_REQUEST_BYTES + 10]);
            JsonNode reply = new ObjectMapper().readTree(ControlProtocol.readLine(raw.getInputStream(), 1 << 20));
            assertThat(reply.path("error").asText()).contains("longer than " + ControlProtocol.MAX_REQUEST_BYTES);
            assertThatThrownBy(() -> {
                if (raw.getInputStream().read() == -1) {
                    throw new java.io.EOFException();
                }
            }).as("closed after an oversized line").isInstanceOf(IOException.class);
        }
        try (ControlClient client = ControlClient.connect(socket)) {
            assertThat(client.call("status").path("frontend").asText()).isEqualTo("cachefiles");
            assertThatThrownBy(() -> client.call("drain")).isInstanceOf(ControlException.class)
                    .hasMessageContaining("not wired");
        }
    }

    @Test
    void aSecondDaemonOnTheSameSocketIsRefusedAndAStaleSocketIsReplaced() throws Exception {
        start(ControlSettings.rootOnly(socket));
        assertThatThrownBy(() -> ControlServer.start(ControlSettings.rootOnly(socket), Map.of()))
                .isInstanceOf(IOException.class).hasMessageContaining("another daemon is listening");
        server.close();

        // a daemon killed with SIGKILL leaves its socket file behind
        try (var stale = org.newsclub.net.unix.AFUNIXServerSocket.newInstance()) {
            stale.setDeleteOnClose(false);
            stale.bind(AFUNIXSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        start(ControlSettings.rootOnly(socket));
        try (ControlClient client = ControlClient.connect(socket)) {
            assertThat(client.call("status").path("frontend").asText()).isEqualTo("cachefiles");
        }
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> ControlSettings.rootOnly(Path.of("relative.sock")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute");
        assertThatThrownBy(() -> ControlSettings.rootOnly(Path.of("/" + "d".repeat(120))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("107");
        assertThatThrownBy(() -> new ControlSettings(socket, Set.of(-1L), Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
        ControlSettings settings = new ControlSettings(socket, Set.of(1000L), Set.of(50L));
        assertThat(settings.allows(0, 0, null)).isTrue();
        assertThat(settings.allows(1000, 1000, null)).isTrue();
        assertThat(settings.allows(1001, 50, null)).isTrue();
        assertThat(settings.allows(1001, 1001, new long[] {7, 50})).isTrue();
        assertThat(settings.allows(1001, 1001, new long[] {7})).isFalse();
    }
}
