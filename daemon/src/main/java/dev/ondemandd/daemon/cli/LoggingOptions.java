package dev.ondemandd.daemon.cli;

import java.util.logging.Level;
import picocli.CommandLine.Option;

/** {@code -v/--verbose}, shared by the commands. */
final class LoggingOptions {

    @Option(names = {"-v", "--verbose"}, description = "Log every OPEN and CLOSE (and more when given twice).")
    boolean[] verbose = new boolean[0];

    void apply(Level quiet) {
        LogSetup.configure(switch (verbose.length) {
            case 0 -> quiet;
            case 1 -> Level.INFO;
            default -> Level.FINE;
        });
    }
}
