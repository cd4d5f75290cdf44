package dev.ondemandd.daemon.control;

import dev.ondemandd.daemon.systemd.UnitJob;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ondemandd drain}: the running daemon answers every request (each bounded by its deadline), releases the
 * fds it stored with systemd and exits; this command waits until it has. With {@code --unless-restarting UNIT}
 * it is the unit's ExecStop=: a stop (or shutdown) drains, so no reader waits for a start that may never come;
 * a restart does not, so SIGTERM hands the kernel's fds over to the next start and readers wait instead of failing.
 * Exit codes: 0 drained (or nothing to do); 1 the daemon refused, or still ran at the timeout; 3 no daemon
 * reachable (plain drain only).
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
        description = "Make the running daemon answer everything, release its stored fds and exit; wait for it.")
public final class DrainCli implements Callable<Integer> {

    /** How long systemctl may take to list jobs before the stop goes on as a drain. */
    private static final Duration SYSTEMCTL_TIMEOUT = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    @Option(names = "--socket", paramLabel = "PATH", description = "Control socket (default: ${DEFAULT-VALUE}).")
    Path socket = ControlSettings.DEFAULT_SOCKET;

    @Option(names = "--unless-restarting", paramLabel = "UNIT", description = "For ExecStop=%n: do nothing when "
            + "systemd is restarting UNIT (SIGTERM then hands over); no daemon running is not an error.")
    String unit;

    @Option(names = "--timeout-sec", paramLabel = "SECONDS", description = "How long to wait for the daemon to "
            + "exit (default: ${DEFAULT-VALUE}; keep it below the unit's TimeoutStopSec).")
    int timeoutSeconds = 55;

    @Option(names = "--systemctl", hidden = true, description = "The systemctl to ask (tests).")
    String systemctl = "systemctl";

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (timeoutSeconds < 1) {
            throw new ParameterException(spec.commandLine(), "--timeout-sec must be at least 1");
        }
        if (unit != null) {
            if (!UnitJob.validUnit(unit)) {
                throw new ParameterException(spec.commandLine(), "--unless-restarting: not a unit name: " + unit);
            }
            Optional<String> skip = restarting();
            if (skip.isPresent()) {
                out.println(skip.get());
                out.flush();
                return 0;
            }
        }
        long pid;
        try (ControlClient client = ControlClient.connect(socket)) {
            pid = client.call(ControlProtocol.request("status")).path("pid").asLong(-1);
        } catch (ControlException e) {
            err.println("ondemandd drain: the daemon answered: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            if (unit != null) {
                out.println("ondemandd drain: no daemon answers on " + socket + " (it has exited): nothing to drain");
                out.flush();
                return 0;
            }
            err.println("ondemandd drain: " + e.getMessage());
            return StatusCommand.NOT_RUNNING;
        }
        long t0 = System.nanoTime();
        try (ControlClient client = ControlClient.connect(socket)) {
            client.call(ControlProtocol.request("drain"));
        } catch (ControlException e) {
            err.println("ondemandd drain: the daemon answered: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("ondemandd drain: " + e.getMessage());
            return 1;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid);
        if (process.isEmpty()) {
            out.println("ondemandd drain: drain requested; daemon " + pid + " is not visible from here (another pid"
                    + " namespace?), so its exit is not waited for");
            out.flush();
            return 0;
        }
        boolean exited = exitsWithin(process.get(), timeoutSeconds);
        String seconds = String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9);
        if (!exited) {
            err.println("ondemandd drain: daemon " + pid + " still draining after " + seconds + " s (each READ ends"
                    + " by its deadline; see its log)");
            return 1;
        }
        out.println("ondemandd drain: daemon " + pid + " answered every request, released its stored fds and exited"
                + " (" + seconds + " s)");
        out.flush();
        return 0;
    }

    private static boolean exitsWithin(ProcessHandle daemon, int seconds) {
        try {
            daemon.onExit().get(seconds, TimeUnit.SECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The line to print when the unit is restarting (no drain), empty when the stop must drain. */
    private Optional<String> restarting() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            UnitJob.Kind kind = UnitJob.of(systemctl, unit, SYSTEMCTL_TIMEOUT);
            if (kind == UnitJob.Kind.RESTART) {
                return Optional.of("ondemandd drain: " + unit + " is restarting: no drain; SIGTERM hands the kernel's"
                        + " fds over to the next start");
            }
            out.println("ondemandd drain: " + unit + " job " + kind.name().toLowerCase(Locale.ROOT)
                    + ": draining, so no reader waits for a start that may not come");
        } catch (IOException e) {
            // A drain loses nothing (every READ is answered, data or EIO); a hand-over on a stop would leave readers
            // waiting for a start that may never come. Unsure, drain.
            out.println("ondemandd drain: cannot tell a restart of " + unit + " from a stop (" + e.getMessage()
                    + "): draining");
        }
        out.flush();
        return Optional.empty();
    }
}
