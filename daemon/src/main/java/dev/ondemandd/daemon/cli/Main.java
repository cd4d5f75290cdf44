package dev.ondemandd.daemon.cli;

import dev.ondemandd.daemon.control.DrainCli;
import dev.ondemandd.daemon.control.ReloadCli;
import dev.ondemandd.daemon.control.StatusCommand;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code ondemandd} command line: {@code run}, {@code mount}, {@code umount}, {@code replay}, {@code demo},
 * {@code status}. */
@Command(name = "ondemandd", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Serves lazily pulled EROFS images to the kernel (cachefiles on-demand mode or fanotify"
                + " pre-content events).",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done as asked",
            "1:replay/demo found a failed request or a mismatch",
            "2:bad usage, configuration or trace",
            "3:cannot serve (device missing or busy, permission denied, I/O error)"})
public final class Main implements Callable<Integer> {

    /** Set while a signal-driven shutdown runs; then the shutdown hook, not main, ends the process. */
    static volatile boolean shutdownHookRunning;

    /** The subcommands, added by {@link #execute} (not in {@code @Command}: see there). */
    static final List<Class<?>> SUBCOMMANDS = List.of(RunCommand.class, MountCommand.class, UmountCommand.class,
            ReplayCommand.class, DemoCommand.class, StatusCommand.class, ReloadCli.class, DrainCli.class,
            SuperviseCommand.class);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return ExitCode.BAD_INPUT;
    }

    /**
     * Runs the command line and returns the exit code (for tests: no System.exit). Picocli builds the model of every
     * subcommand it is given by reflection, which was half of the JVM's time to READY: when the first argument names
     * a subcommand only that one is added; otherwise (help, version, a typo) all are, so usage lists them all.
     */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : "";
        Class<?> named = SUBCOMMANDS.stream().filter(c -> c.getAnnotation(Command.class).name().equals(first))
                .findFirst().orElse(null);
        for (Class<?> subcommand : named != null ? List.of(named) : SUBCOMMANDS) {
            cli.addSubcommand(subcommand);
        }
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
