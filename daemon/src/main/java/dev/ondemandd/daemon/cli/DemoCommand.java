package dev.ondemandd.daemon.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.replay.ReplayReport;
import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.daemon.trace.TraceWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code ondemandd demo}: no arguments, no root. Makes sample blobs in a temporary directory, replays a
 * built-in trace over them through the simulated /dev/cachefiles, and shows every request and the summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Serve a few sample blobs through the simulated /dev/cachefiles and show what happens."
                + " No arguments, no root.")
final class DemoCommand implements Callable<Integer> {

    private static final int BLOBS = 3;
    private static final int MAX_BLOB_SIZE = 200_000;
    private static final long SEED = 20261122;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.WARNING);
        Path dir = Files.createTempDirectory("ondemandd-demo-");
        Path blobs = Files.createDirectory(dir.resolve("blobs"));
        SampleData.Sample sample = SampleData.generate(blobs, BLOBS, MAX_BLOB_SIZE, SEED);
        DaemonConfig config = sample.config();
        Path configFile = dir.resolve("config.json");
        Path traceFile = dir.resolve("trace.jsonl");
        writeConfig(configFile, sample);
        try (TraceWriter writer = TraceWriter.create(traceFile)) {
            writer.write(sample.trace().header().orElseThrow());
            for (TraceEvent event : sample.trace().events()) {
                writer.write(event);
            }
        }

        System.out.println("ondemandd demo");
        System.out.println("  " + BLOBS + " sample blobs (sizes not page multiples, named by their sha256) in " + blobs);
        System.out.println("  a trace of " + sample.trace().events().size() + " requests: " + traceFile);
        System.out.println("  served through the simulated /dev/cachefiles by the real core and frontend;");
        System.out.println("  every answer is checked against the blob and the trace's sha256.");
        System.out.println();
        ReplayReport report = ReplayCommand.replay(config, sample.trace(), 0, null, line -> System.out.println("  " + line));
        System.out.println();
        int code = ReplayCommand.print(report, System.out, System.err);
        System.out.println();
        System.out.println("Run it again, or with your own trace:");
        System.out.println("  ondemandd replay --config " + configFile + " --trace " + traceFile + " --show-requests");
        return code;
    }

    private static void writeConfig(Path file, SampleData.Sample sample) throws java.io.IOException {
        Map<String, Object> json = Map.of("sources", List.of(Map.of("volume", "erofs,*", "cookie", "sha256:*",
                "url", sample.directory().toUri() + "{cookie}")));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
    }
}
