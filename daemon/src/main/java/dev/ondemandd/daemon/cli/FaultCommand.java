package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.faults.FaultReplay;
import dev.ondemandd.daemon.faults.FaultSpec;
import dev.ondemandd.daemon.trace.Trace;
import java.io.IOException;
import java.io.PrintStream;

/** {@code replay --faults}: runs a {@link FaultReplay} and prints its findings and summary. */
final class FaultCommand {

    private FaultCommand() {
    }

    static int replay(DaemonConfig cfg, Trace trace, FaultSpec spec, boolean showRequests, PrintStream out,
            PrintStream err) throws Exception {
        FaultReplay.Report report;
        try {
            report = FaultReplay.run(cfg, trace, spec, CoreListener.none(), showRequests ? out::println : line -> { });
        } catch (ConfigException e) {
            throw new CliException(ExitCode.BAD_INPUT, "configuration error: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException(ExitCode.CANNOT_SERVE, "replay could not run: " + e.getMessage(), e);
        }
        for (String finding : report.replay().findings()) {
            err.println("  - " + finding);
        }
        for (String problem : report.problems()) {
            err.println("  ! " + problem);
        }
        out.println(report.replay().summary());
        out.println(report.summary());
        return report.held() ? ExitCode.OK : ExitCode.CHECK_FAILED;
    }
}
