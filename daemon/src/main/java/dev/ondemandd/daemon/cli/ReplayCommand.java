package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.faults.FaultSpec;
import dev.ondemandd.daemon.faults.FaultSpecException;
import dev.ondemandd.daemon.replay.Replay;
import dev.ondemandd.daemon.replay.ReplayReport;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceFormatException;
import dev.ondemandd.daemon.trace.TraceReader;
import dev.ondemandd.daemon.trace.TraceRecorder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ondemandd replay}: the daemon against the simulated kernel, driven and checked by a trace. */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay a trace through the simulated /dev/cachefiles and check every answer against the"
                + " sources and the trace's sizes and sha256s. No root needed.",
            "Exits 1 when any request failed or any answer mismatched."})
final class ReplayCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The configuration (JSON).")
    Path config;

    @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace (JSON Lines).")
    Path trace;

    @Option(names = "--speed", paramLabel = "X", description = "Replay at X times the recorded pace (1 = as"
            + " recorded). Default: as fast as possible.")
    Double speed;

    @Option(names = "--record-trace", paramLabel = "FILE", description = "Record the requests the daemon saw to FILE.")
    Path recordTrace;

    @Option(names = "--faults", paramLabel = "SPEC", description = {"Inject faults: NAME[:ARG][@N],... with NAME"
            + " one of error[:errno], timeout, slow[:ms per 4KiB], short, corrupt (fetch faults, on the N-th fetch),"
            + " close-mid-fetch, duplicate-read, restore-mid-fetch, unknown-object-read (kernel faults, on the N-th"
            + " READ's fetch), unmatched-open. See docs/faults.md.",
        "Then READs may fail (EIO); exits 1 only if a wrong byte reached a reader or a cache file, a request hung,"
            + " or the daemon stopped serving."})
    String faults;

    @Option(names = "--show-requests", description = "Print one line per request replayed.")
    boolean showRequests;

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.WARNING);
        if (speed != null && !(speed > 0)) {
            throw new CliException(ExitCode.BAD_INPUT, "--speed must be greater than 0 (leave it out for as fast as"
                    + " possible)");
        }
        FaultSpec spec = null;
        if (faults != null) {
            try {
                spec = FaultSpec.parse(faults);
            } catch (FaultSpecException e) {
                throw new CliException(ExitCode.BAD_INPUT, e.getMessage(), e);
            }
        }
        DaemonConfig cfg = RunCommand.load(config);
        Trace loaded = read(trace);
        if (spec != null) {
            return FaultCommand.replay(cfg, loaded, spec, showRequests, System.out, System.err);
        }
        ReplayReport report = replay(cfg, loaded, speed == null ? 0 : speed, recordTrace,
                showRequests ? System.out::println : line -> { });
        return print(report, System.out, System.err);
    }

    static Trace read(Path file) throws CliException {
        try {
            return TraceReader.read(file);
        } catch (TraceFormatException e) {
            throw new CliException(ExitCode.BAD_INPUT, "trace " + file + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(ExitCode.BAD_INPUT, "cannot read the trace " + file + ": " + e, e);
        }
    }

    static ReplayReport replay(DaemonConfig cfg, Trace trace, double speed, Path recordTrace,
            Consumer<String> observer) throws Exception {
        TraceRecorder recorder = recordTrace == null ? null : RunCommand.recorder(recordTrace);
        try {
            return Replay.run(cfg, trace, speed, recorder == null ? CoreListener.none() : recorder, observer);
        } catch (ConfigException e) {
            throw new CliException(ExitCode.BAD_INPUT, "configuration error: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "replay could not run: " + e.getMessage(), e);
        } finally {
            if (recorder != null) {
                recorder.close();
            }
        }
    }

    static int print(ReplayReport report, PrintStream out, PrintStream err) {
        for (String finding : report.findings()) {
            err.println("  - " + finding);
        }
        if (report.failures() + report.mismatches() > report.findings().size()) {
            err.println("  (" + (report.failures() + report.mismatches() - report.findings().size()) + " more)");
        }
        out.println(report.summary());
        return report.passed() ? ExitCode.OK : ExitCode.CHECK_FAILED;
    }
}
