package dev.ondemandd.daemon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream savedOut;
    private PrintStream savedErr;

    @BeforeEach
    void capture() {
        savedOut = System.out;
        savedErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restore() {
        System.setOut(savedOut);
        System.setErr(savedErr);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** A sample, its trace file and its config file. */
    private Path[] sample(long seed) throws Exception {
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        SampleData.Sample sample = SampleData.generate(blobs, 3, 120_000, seed);
        Path trace = dir.resolve("trace.jsonl");
        try (TraceWriter writer = TraceWriter.create(trace)) {
            for (TraceEvent event : sample.trace().events()) {
                writer.write(event);
            }
        }
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{\"sources\": [{\"volume\": \"erofs,*\", \"cookie\": \"sha256:*\", \"url\": \""
                + blobs.toUri() + "{cookie}\"}], \"dispatcher\": {\"concurrency\": 4, \"readDeadline\": \"10s\"}}");
        return new Path[] {config, trace, sample.blobs().get(0)};
    }

    @Test
    void versionAndHelpExitZero() {
        assertThat(Main.execute("--version")).isZero();
        assertThat(out()).startsWith("ondemandd ");
        assertThat(Main.execute("--help")).isZero();
        assertThat(out()).contains("run", "replay", "demo", "Exit codes:");
    }

    @Test
    void demoWorksWithNoArguments() {
        assertThat(Main.execute("demo")).isZero();
        assertThat(out()).contains("open  #1 erofs,sample/sha256:", "ok, sha256 verified", "close #4", "PASSED: ");
    }

    @Test
    void replayPassesOnAGeneratedTrace() throws Exception {
        Path[] files = sample(11);
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString())).isZero();
        assertThat(out()).startsWith("PASSED: ");
    }

    @Test
    void replayWithFaultsExitsZeroWhenEveryFaultEndsAsRightBytesOrEio() throws Exception {
        Path[] files = sample(13);
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString(),
                "--faults", "error@2,duplicate-read@3,unmatched-open")).isZero();
        assertThat(out()).contains("HELD: faults fired [", "error:5@2", "unmatched-open@1 (errno 2)",
                "serving afterwards: yes");
    }

    @Test
    void aBadFaultSpecIsABadInputSayingWhatIsKnown() throws Exception {
        Path[] files = sample(14);
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString(),
                "--faults", "error@2,melt")).isEqualTo(2);
        assertThat(err()).contains("--faults: 'melt': unknown fault 'melt' (known: error, timeout");
    }

    @Test
    void replayExitsOneWhenABlobDiffersFromTheTrace() throws Exception {
        Path[] files = sample(12);
        byte[] blob = Files.readAllBytes(files[2]);
        blob[5] ^= 0x40;
        Files.write(files[2], blob);
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString())).isOne();
        assertThat(out()).startsWith("FAILED: ");
        assertThat(err()).contains("sha256");
    }

    @Test
    void aMalformedTraceLineIsABadInputNamingTheLine() throws Exception {
        Path[] files = sample(13);
        List<String> lines = Files.readAllLines(files[1]);
        int firstRead = 0;
        while (!lines.get(firstRead).contains("\"op\":\"read\"")) {
            firstRead++;
        }
        lines.set(firstRead, lines.get(firstRead).replace("\"len\"", "\"length\""));
        Files.write(files[1], lines);
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString())).isEqualTo(2);
        assertThat(err().strip()).isEqualTo("ondemandd: trace " + files[1] + ": line " + (firstRead + 1) + ": unknown key 'length' in a read line");
    }

    @Test
    void aConfigErrorIsOneLineNamingTheFileAndKey() throws Exception {
        Path[] files = sample(14);
        Files.writeString(files[0], "{\"sources\": [], \"dispatcher\": {\"concurency\": 3}}");
        assertThat(Main.execute("replay", "--config", files[0].toString(), "--trace", files[1].toString())).isEqualTo(2);
        assertThat(err().strip()).startsWith("ondemandd: configuration error: " + files[0]
                + ": dispatcher.concurency: unknown key").doesNotContain("\n");
    }

    @Test
    void runWithoutACachefilesSectionSaysWhatToAdd() throws Exception {
        Path[] files = sample(15);
        assertThat(Main.execute("run", "--config", files[0].toString())).isEqualTo(2);
        assertThat(err()).contains("cachefiles: required to serve /dev/cachefiles");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(Main.execute("replay", "--config")).isEqualTo(2);
        assertThat(Main.execute("bogus")).isEqualTo(2);
    }

    @Test
    void helpAndNoArgumentsListEverySubcommandWhileASubcommandsHelpNamesItUnderOndemandd() {
        List<String> names = Main.SUBCOMMANDS.stream()
                .map(c -> c.getAnnotation(picocli.CommandLine.Command.class).name()).toList();
        assertThat(names).contains("run", "mount", "umount", "replay", "demo", "status", "reload", "supervise");

        assertThat(Main.execute("--help")).isZero();
        assertThat(out()).contains(names);
        out.reset();
        assertThat(Main.execute()).isEqualTo(2);
        assertThat(out()).contains(names);
        out.reset();
        assertThat(Main.execute("mount", "--help")).isZero();
        assertThat(out()).startsWith("Usage: ondemandd mount ");
        err.reset();
        assertThat(Main.execute("mout")).as("a typo: the suggestion needs every name").isEqualTo(2);
        assertThat(err()).contains("mount");
    }
}
