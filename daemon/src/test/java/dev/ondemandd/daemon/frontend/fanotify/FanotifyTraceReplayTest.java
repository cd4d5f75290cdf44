package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.replay.Replay;
import dev.ondemandd.daemon.replay.ReplayReport;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceFormat;
import dev.ondemandd.daemon.trace.TraceReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trace recorded on this machine's kernel while the fanotify frontend served the {@code chunked} test image
 * (test-images/traces/fanotify-chunked.jsonl: every file read through the mount, then SIGTERM) replays through
 * the core against the same blob, rebuilt byte for byte by make-images.
 */
class FanotifyTraceReplayTest {

    @Test
    void theRecordedFanotifyRunReplaysAgainstTheRebuiltBlob() throws Exception {
        TestImages.Image image = TestImages.get("chunked");
        Path fixture = TestImages.repoRoot().resolve("test-images/traces/fanotify-chunked.jsonl");
        Trace trace;
        try (var in = Files.newBufferedReader(fixture)) {
            trace = TraceReader.read(in);
        }
        assertThat(trace.header()).hasValueSatisfying(h -> {
            assertThat(h.layout()).isEqualTo(TraceFormat.FANOTIFY_LAYOUT);
            assertThat(h.kernel()).startsWith("6.");
        });
        assertThat(trace.events()).filteredOn(TraceEvent.Open.class::isInstance).singleElement()
                .satisfies(o -> assertThat(((TraceEvent.Open) o).size()).isEqualTo(Files.size(image.blobs().get(0))));
        DaemonConfig config = DaemonConfig.ofSources(List.of(new SourceConfig(FanotifyServer.VOLUME,
                FanotifyServer.blobKey(0, 1).cookieText(), image.blobs().get(0).toUri().toString())));

        ReplayReport report = Replay.run(config, trace, 0, CoreListener.none(), line -> { });

        assertThat(report.findings()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.opens()).isEqualTo(1);
        assertThat(report.reads()).isEqualTo(5);
        assertThat(report.bytes()).isGreaterThanOrEqualTo(Files.size(image.blobs().get(0)));
    }
}
