package dev.ondemandd.daemon.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Sends java.util.logging (behind System.Logger) to stderr, one line per event. */
final class LogSetup {

    private LogSetup() {
    }

    static void configure(Level level) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Handler handler = new StderrHandler();
        handler.setFormatter(new OneLine());
        handler.setLevel(level);
        root.addHandler(handler);
        root.setLevel(level);
    }

    /**
     * The JVM's logging without its shutdown-time reset: LogManager's own shutdown hook removes every handler,
     * while our hooks (SIGTERM → unmount, drain, stop the worker) still log how the stop goes — lines an operator
     * needs. Installed by {@link Main#main} through {@code java.util.logging.manager}.
     */
    public static final class KeepLoggingAtShutdown extends java.util.logging.LogManager {
        @Override
        public void reset() {
            if (!Thread.currentThread().getClass().getName().equals("java.util.logging.LogManager$Cleaner")) {
                super.reset();
            }
        }
    }

    /** Writes to whatever System.err is at the time, and never closes it. */
    private static final class StderrHandler extends Handler {
        @Override
        public void publish(LogRecord record) {
            if (isLoggable(record)) {
                PrintStream err = System.err;
                err.print(getFormatter().format(record));
                err.flush();
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
        }
    }

    /** {@code 2026-11-22T00:30:00.123Z WARNING Core: message}, plus the exception on one more line. */
    static final class OneLine extends Formatter {
        @Override
        public String format(LogRecord r) {
            String logger = r.getLoggerName() == null ? "" : r.getLoggerName();
            String shortName = logger.substring(logger.lastIndexOf('.') + 1);
            StringBuilder line = new StringBuilder(128).append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(r.getLevel().getName()).append(' ').append(shortName).append(": ")
                    .append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null) {
                line.append(" [").append(r.getThrown()).append(" at ")
                        .append(r.getThrown().getStackTrace().length > 0 ? r.getThrown().getStackTrace()[0] : "?")
                        .append(']');
            }
            return line.append(System.lineSeparator()).toString();
        }
    }
}
