package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The traces the real kernel produced (test-images/traces/, recorded in the VM) replay green through the
 * simulated kernel over the images make-images rebuilds byte-identically. No VM, no root: runs everywhere
 * erofs-utils can be built.
 */
class RecordedTraceReplayTest {

    private static final Duration REPLAY_TIMEOUT = Duration.ofMinutes(5);

    @Test
    void theChunkedImageTraceFromTheRealKernelReplaysWithoutAMismatch() throws Exception {
        TestImages images = TestImages.locate();
        Path out = Path.of("target", "replay").toAbsolutePath();
        Path manifest = images.makeImages(Path.of("target", "vm", "images").toAbsolutePath(),
                out.resolve("make-images.log"));
        Path dir = manifest.getParent().resolve("chunked");
        Path config = out.resolve("replay-chunked.json");
        Files.writeString(config, """
                {"sources": [{"volume": "erofs,chunked", "cookie": "chunked", "url": "%s"},
                             {"volume": "erofs,chunked", "cookie": "chunked-blob", "url": "%s"}]}
                """.formatted(dir.resolve("meta.erofs").toUri(), dir.resolve("blob.img").toUri()));
        Path trace = images.repository().resolve("test-images/traces/cachefiles-chunked.jsonl");
        assertThat(Files.readAllLines(trace).getFirst()).as("the trace names the kernel it was recorded on")
                .contains("\"kernel\":\"6.12.95-ondemandd\"");

        TestImages.Result replay = images.run(REPLAY_TIMEOUT, out.resolve("replay-chunked.log"), Map.of(),
                line -> { }, true, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-jar", images.daemonJar().toString(), "replay",
                "--config", config.toString(), "--trace", trace.toString());

        assertThat(replay.exitCode()).as(replay.tail(20)).isZero();
        assertThat(replay.tail(5)).contains("PASSED: 83 requests (2 opens, 79 reads, 2 closes)")
                .contains("0 failures, 0 mismatches");
    }
}
