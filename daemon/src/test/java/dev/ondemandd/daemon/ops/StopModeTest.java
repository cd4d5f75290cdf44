package dev.ondemandd.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which stop a SIGTERM makes: a hand-over only when a holder keeps the kernel's fd for a successor. */
class StopModeTest {

    @TempDir
    Path dir;

    @Test
    void aHeldFdAndAPlainStopHandOver() {
        StopMode.Decision d = StopMode.decide(true, null, false);
        assertThat(d.mode()).isEqualTo(StopMode.HAND_OVER);
        assertThat(d.handOver()).isTrue();
    }

    @Test
    void withoutAHolderEveryStopIsFull() {
        assertThat(StopMode.decide(false, null, false).mode()).isEqualTo(StopMode.FULL);
        assertThat(StopMode.decide(false, null, false).why()).contains("no fd holder");
        assertThat(StopMode.decide(false, "drain requested", true).mode()).isEqualTo(StopMode.FULL);
    }

    @Test
    void aDrainOrAnUnmountedImageEndsServingEvenWithAHolder() {
        StopMode.Decision d = StopMode.decide(true, "drain requested", false);
        assertThat(d.mode()).isEqualTo(StopMode.FULL);
        assertThat(d.why()).isEqualTo("drain requested");
        assertThat(StopMode.decide(true, "the image was unmounted", false).handOver()).isFalse();
    }

    @Test
    void aHolderThatStopsTooGetsAFullStop() {
        StopMode.Decision d = StopMode.decide(true, null, true);
        assertThat(d.mode()).isEqualTo(StopMode.FULL);
        assertThat(d.why()).contains("holder is stopping");
    }

    @Test
    void theHolderIsStoppingOnceTheFileItNamedExists() throws Exception {
        Path file = dir.resolve("supervise-1.stopping");
        Map<String, String> env = Map.of(StopMode.HOLDER_STOPPING, file.toString());
        assertThat(StopMode.holderStopping(env)).isFalse();
        Files.createFile(file);
        assertThat(StopMode.holderStopping(env)).isTrue();
        assertThat(StopMode.holderStopping(Map.of())).as("no holder said anything").isFalse();
        assertThat(StopMode.holderStopping(Map.of(StopMode.HOLDER_STOPPING, " "))).isFalse();
    }
}
