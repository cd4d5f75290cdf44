package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.control.ReloadCli;
import dev.ondemandd.daemon.control.StatusCommand;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ondemandd} command line: {@code run}, {@code mount}, {@code umount}, {@code replay}, {@code demo},
 * {@code status}. */
@Command(name = "ondemandd", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Serves lazily pulled EROFS images to the kernel (cachefiles on-demand mode or fanotify"
                + " pre-content events).",
        subcommands = {RunCommand.class, MountCommand.class, UmountCommand.class, ReplayCommand.class,
            DemoCommand.class, StatusCommand.class, ReloadCli.class, SuperviseCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done as asked",
            "1:replay/demo found a failed request or a mismatch",
            "2:bad usage, configuration or trace",
            "3:cannot serve (device missing or busy, permission denied, I/O error)"})
public final class Main implements Callable<Integer> {

    /** Set while a signal-driven shutdown runs; then the shutdown hook, not main, ends the process. */
    static volatile boolean shutdownHookRunning;

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return ExitCode.BAD_INPUT;
    }

    /** Runs the command line and returns the exit code (for tests: no System.exit). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException c) {
                commandLine.getErr().println("ondemandd: " + c.getMessage());
                return c.exitCode();
            }
            commandLine.getErr().println("ondemandd: unexpected error: " + e);
            e.printStackTrace(commandLine.getErr());
            return ExitCode.CANNOT_SERVE;
        });
        return cli.execute(args);
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", LogSetup.KeepLoggingAtShutdown.class.getName());
        }
        int code = execute(args);
        if (!shutdownHookRunning) {
            System.exit(code);
        }
    }
}
