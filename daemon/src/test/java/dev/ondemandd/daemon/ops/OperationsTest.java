package dev.ondemandd.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.ControlSettings;
import dev.ondemandd.daemon.core.CoreStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OperationsTest {

    @Test
    void bringsUpMetricsAndControlAroundAServingDaemon(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("control.sock");
        try (Operations ops = Operations.start(KernelWarnings.Path.FANOTIFY, "127.0.0.1:0",
                ControlSettings.rootOnly(socket))) {
            assertThat(ops.systemd().enabled()).as("no NOTIFY_SOCKET in tests").isFalse();
            ops.serving(() -> new CoreStats(4, 3, 2, 1), Map.of("drain", request -> {
                ops.stopping("draining on request");
                return null;
            }), Map.of("fanotify", () -> Map.of("events", 17)), "serving");

            try (ControlClient client = ControlClient.connect(socket)) {
                JsonNode status = client.call("status");
                assertThat(status.path("frontend").asText()).isEqualTo("fanotify");
                assertThat(status.path("kernel").asText()).isEqualTo(ops.kernel().release());
                assertThat(status.path("objects").path("open").asInt()).isEqualTo(4);
                assertThat(status.path("fanotify").path("events").asInt()).isEqualTo(17);
                assertThat(status.path("draining").asBoolean()).isFalse();
                client.call("drain");
                assertThat(client.call("status").path("draining").asBoolean()).isTrue();
            }
            int port = ops.metrics().address().orElseThrow().getPort();
            String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scrape).contains("ondemandd_objects_open 4.0", "ondemandd_requests_queued 2.0");
        }
        assertThat(socket).doesNotExist();
    }
}
