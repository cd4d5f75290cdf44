package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.config.DurationDeserializer;
import dev.ondemandd.daemon.supervisor.Supervisor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ondemandd supervise -- run --config FILE}: runs the worker command, holds its fds (the fanotify group, the
 * cachefiles device) and restarts it when it dies — systemd's fd store, for hosts without systemd.
 */
@Command(name = "supervise", mixinStandardHelpOptions = true,
        description = {"Run an ondemandd command (run, mount) as a worker, keep the fds it stores (the fanotify group"
                + " whose closing would let readers of unfilled ranges see zeros, the /dev/cachefiles fd) and"
                + " restart it with those fds when it dies, as systemd's fd store does. SIGTERM/SIGINT stop the"
                + " worker (it unmounts first), then the supervisor.",
            "Example: ondemandd supervise -- run --config /etc/ondemandd/config.json"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:the worker stopped on purpose (SIGTERM, drain, its image unmounted)",
            "2:the worker said its configuration or usage is bad (not restarted)",
            "3:gave up: restarts exhausted, or the worker would not stop (held fds released)"})
final class SuperviseCommand implements Callable<Integer> {

    @Option(names = "--restart-delay", paramLabel = "DURATION", defaultValue = "1s",
            description = "Wait before restarting a worker that was ready; doubles while workers die before they are"
                    + " ready (default: ${DEFAULT-VALUE}).")
    String restartDelay;

    @Option(names = "--max-restart-delay", paramLabel = "DURATION", defaultValue = "30s",
            description = "The longest wait between restarts (default: ${DEFAULT-VALUE}).")
    String maxRestartDelay;

    @Option(names = "--max-restarts", paramLabel = "N", defaultValue = "0",
            description = "Give up after N workers in a row died before they were ready; 0 never gives up (default).")
    int maxRestarts;

    @Option(names = "--stop-timeout", paramLabel = "DURATION", defaultValue = "90s",
            description = "How long a stop waits for the worker to unmount and exit (default: ${DEFAULT-VALUE}).")
    String stopTimeout;

    @Option(names = "--runtime-dir", paramLabel = "DIR",
            description = "Where the notify socket and the worker's journal live (default: $RUNTIME_DIRECTORY or"
                    + " /run/ondemandd).")
    Path runtimeDir;

    @Option(names = "--oom-score-adj", paramLabel = "N", defaultValue = "-900",
            description = "This process's OOM score; the worker keeps the one the supervisor was started with, so the"
                    + " OOM killer takes the worker (restarted) before the holder (default: ${DEFAULT-VALUE}).")
    int oomScoreAdj;

    @Option(names = "--watchdog-sec", paramLabel = "DURATION", defaultValue = "0s",
            description = "The worker's WatchdogSec: a ready worker whose serving loops send no WATCHDOG=1 for this long"
                    + " is killed and restarted with the held fds; 0s for none (default: ${DEFAULT-VALUE}).")
    String watchdogSec;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The worker's ondemandd command and its"
            + " arguments, after --.")
    List<String> worker = new ArrayList<>();

    @Mixin
    LoggingOptions logging;

    @Override
    public Integer call() throws Exception {
        logging.apply(java.util.logging.Level.INFO);
        if (worker.isEmpty() || worker.get(0).equals("supervise")) {
            throw new CliException(ExitCode.BAD_INPUT, "supervise needs a worker command, e.g."
                    + " `ondemandd supervise -- run --config FILE`");
        }
        Supervisor.Settings settings;
        try {
            settings = new Supervisor.Settings(duration(restartDelay), duration(maxRestartDelay), maxRestarts,
                    duration(stopTimeout), runtimeDir != null ? runtimeDir : SystemdFdHolder.runtimeDir(),
                    oomScoreAdj, duration(watchdogSec));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCode.BAD_INPUT, e.getMessage(), e);
        }
        // under systemd, supervise is the notify service: it relays READY/STATUS and pings WATCHDOG=1 itself
        Supervisor supervisor = new Supervisor(worker, settings, dev.ondemandd.daemon.systemd.SystemdNotifier
                .fromEnvironment());
        CountDownLatch done = new CountDownLatch(1);
        int[] code = {ExitCode.CANNOT_SERVE};
        Thread hook = new Thread(() -> {
            Main.shutdownHookRunning = true;
            supervisor.requestStop();
            try {
                done.await(settings.stopTimeout().toSeconds() + 10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.flush();
            Runtime.getRuntime().halt(code[0]);
        }, "ondemandd-supervise-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            code[0] = supervisor.run();
        } finally {
            done.countDown();
        }
        if (!Main.shutdownHookRunning) {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        return code[0];
    }

    /** {@code 250ms}, {@code 30s}, {@code 2m}, {@code 1h}, as in the configuration. */
    static Duration duration(String text) {
        Duration d = DurationDeserializer.parse(text);
        if (d == null) {
            throw new IllegalArgumentException("not a duration: " + text + " (write 250ms, 30s, 2m or 1h)");
        }
        return d;
    }
}
