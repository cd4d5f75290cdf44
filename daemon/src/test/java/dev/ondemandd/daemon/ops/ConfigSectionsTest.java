package dev.ondemandd.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.daemon.control.ControlSettings;
import dev.ondemandd.daemon.metrics.Metrics;
import org.junit.jupiter.api.Test;

/** The "metrics" and "control" sections of the configuration file. */
class ConfigSectionsTest {

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    @Test
    void metricsAreOffUnlessAListenAddressIsGiven() throws Exception {
        assertThat(Metrics.listenFrom(null)).isNull();
        assertThat(Metrics.listenFrom(json("null"))).isNull();
        assertThat(Metrics.listenFrom(json("{\"listen\": \"127.0.0.1:9477\"}"))).isEqualTo("127.0.0.1:9477");
        assertThatThrownBy(() -> Metrics.listenFrom(json("{\"listen\": \"9477\"}")))
                .hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> Metrics.listenFrom(json("{\"port\": 9477}")))
                .hasMessageContaining("metrics.port is not a setting");
        assertThatThrownBy(() -> Metrics.listenFrom(json("\"127.0.0.1:9477\"")))
                .hasMessageContaining("{\"listen\"");
    }

    @Test
    void controlDefaultsToTheRootOnlyRuntimeSocket() throws Exception {
        assertThat(ControlSettings.fromJson(null)).isEqualTo(ControlSettings.defaults());
        assertThat(ControlSettings.fromJson(json("{}")).socket()).isEqualTo(Path.of("/run/ondemandd/control.sock"));
        ControlSettings s = ControlSettings.fromJson(json(
                "{\"socket\": \"/tmp/c.sock\", \"allowUids\": [1000], \"allowGids\": [27, 100]}"));
        assertThat(s.socket()).isEqualTo(Path.of("/tmp/c.sock"));
        assertThat(s.allowUids()).isEqualTo(Set.of(1000L));
        assertThat(s.allowGids()).isEqualTo(Set.of(27L, 100L));
    }

    @Test
    void theExampleConfigurationServesMetricsOnLoopbackAndTheDefaultSocket() throws Exception {
        dev.ondemandd.daemon.config.DaemonConfig cfg = dev.ondemandd.daemon.config.ConfigLoader.load(
                Path.of(System.getProperty("user.dir")).getParent().resolve("conf/ondemandd.example.json"));

        assertThat(Metrics.listenFrom(cfg.metrics())).isEqualTo("127.0.0.1:9477");
        assertThat(ControlSettings.fromJson(cfg.control())).isEqualTo(ControlSettings.defaults());
    }

    @Test
    void controlRejectsWhatItDoesNotKnow() {
        assertThatThrownBy(() -> ControlSettings.fromJson(json("{\"sock\": \"/x\"}")))
                .hasMessageContaining("control.sock is not a setting");
        assertThatThrownBy(() -> ControlSettings.fromJson(json("{\"socket\": 5}")))
                .hasMessageContaining("control.socket");
        assertThatThrownBy(() -> ControlSettings.fromJson(json("{\"allowUids\": [\"alice\"]}")))
                .hasMessageContaining("numeric ids");
        assertThatThrownBy(() -> ControlSettings.fromJson(json("{\"allowGids\": 5}")))
                .hasMessageContaining("list");
        assertThatThrownBy(() -> ControlSettings.fromJson(json("{\"socket\": \"relative\"}")))
                .hasMessageContaining("absolute");
    }
}
