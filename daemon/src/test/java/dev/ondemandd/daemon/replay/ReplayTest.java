package dev.ondemandd.daemon.replay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceReader;
import dev.ondemandd.daemon.trace.TraceRecorder;
import dev.ondemandd.daemon.trace.TraceWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplayTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void generatedTracesOverUnseenBlobsPass(long seed) throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 4, 300_000, seed);
        List<String> lines = new CopyOnWriteArrayList<>();

        ReplayReport report = Replay.run(sample.config(), sample.trace(), 0, CoreListener.none(), lines::add);

        assertThat(report.findings()).isEmpty();
        assertThat(report.passed()).isTrue();
        assertThat(report.opens()).isEqualTo(5);
        assertThat(report.closes()).isEqualTo(5);
        long reads = sample.trace().events().stream().filter(TraceEvent.Read.class::isInstance).count();
        assertThat(report.reads()).isEqualTo(reads);
        long blobBytes = 0;
        for (Path blob : sample.blobs()) {
            blobBytes += Files.size(blob);
            assertThat(Files.size(blob) % 4096).isNotZero();
        }
        assertThat(report.bytes()).isGreaterThan(blobBytes);
        assertThat(lines).anyMatch(l -> l.startsWith("open  #5 erofs,sample/sha256:"));
        assertThat(report.summary()).startsWith("PASSED: " + report.requests() + " requests");
    }

    @Test
    void oneByteOfABlobThatDiffersFromTheTracesSha256FailsTheReplay() throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 3, 100_000, 4);
        Path blob = sample.blobs().get(1);
        byte[] content = Files.readAllBytes(blob);
        content[content.length / 2] ^= 1;
        Files.write(blob, content);

        ReplayReport report = Replay.run(sample.config(), sample.trace(), 0, CoreListener.none(), line -> { });

        assertThat(report.passed()).isFalse();
        assertThat(report.mismatches()).isEqualTo(1);
        assertThat(report.findings()).singleElement().asString().contains("sha256");
    }

    @Test
    void anOpenWithoutASourceIsAFailure() throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 2, 20_000, 5);
        Files.delete(sample.blobs().get(0));

        ReplayReport report = Replay.run(sample.config(), sample.trace(), 0, CoreListener.none(), line -> { });

        assertThat(report.passed()).isFalse();
        assertThat(report.failures()).isEqualTo(2);
        assertThat(report.findings()).allMatch(f -> f.contains("open refused with errno 2"));
    }

    @Test
    void aTraceRecordedDuringReplayReplaysAgain() throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 2, 50_000, 6);
        StringWriter recorded = new StringWriter();
        try (TraceRecorder recorder = new TraceRecorder(new TraceWriter(recorded), "test")) {
            assertThat(Replay.run(sample.config(), sample.trace(), 0, recorder, line -> { }).passed()).isTrue();
        }
        Trace again = TraceReader.read(new StringReader(recorded.toString()));
        assertThat(again.header()).isPresent();
        assertThat(again.events()).filteredOn(TraceEvent.Open.class::isInstance).hasSize(3);

        ReplayReport report = Replay.run(sample.config(), again, 0, CoreListener.none(), line -> { });
        assertThat(report.passed()).isTrue();
        assertThat(report.opens()).isEqualTo(3);
    }

    @Test
    void speedOneKeepsTheRecordedPace() throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 1, 10_000, 7);
        TraceEvent.Open open = (TraceEvent.Open) sample.trace().events().get(0);
        List<TraceEvent> events = new ArrayList<>(List.of(open,
                new TraceEvent.Read(150_000_000, open.object(), 0, 100, null),
                new TraceEvent.Close(300_000_000, open.object())));
        Trace slow = new Trace(Optional.empty(), events);

        ReplayReport report = Replay.run(sample.config(), slow, 1, CoreListener.none(), line -> { });

        assertThat(report.passed()).isTrue();
        assertThat(report.elapsedNanos()).isGreaterThanOrEqualTo(300_000_000);
    }

    @Test
    void binaryUnsafeCookiesAreRefusedNotServed() throws Exception {
        SampleData.Sample sample = SampleData.generate(dir, 1, 10_000, 8);
        Trace escape = new Trace(Optional.empty(), List.of(
                new TraceEvent.Open(0, 1, "erofs,x", "sha256:../../etc/passwd", 10)));
        DaemonConfig config = DaemonConfig.ofSources(List.of(new SourceConfig("*", "*", sample.directory().toUri()
                + "{cookie}")));

        ReplayReport report = Replay.run(config, escape, 0, CoreListener.none(), line -> { });

        assertThat(report.failures()).isEqualTo(1);
        assertThat(report.findings()).singleElement().asString().contains("errno 13");
    }
}
