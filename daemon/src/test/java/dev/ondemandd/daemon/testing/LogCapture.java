package dev.ondemandd.daemon.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * The log records of some classes' loggers, captured for a test from INFO up: other tests in the same JVM may
 * have raised a logger's level, so it is lowered while capturing and restored on close.
 */
public final class LogCapture extends Handler implements AutoCloseable {

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    /** Held, not looked up again: the logging framework keeps loggers only weakly, and with them their level. */
    private final List<Logger> loggers = new ArrayList<>();
    private final List<Level> levelsBefore = new ArrayList<>();

    private LogCapture() {
    }

    /** Starts capturing what the loggers named after {@code sources} log. */
    public static LogCapture of(Class<?>... sources) {
        LogCapture capture = new LogCapture();
        for (Class<?> source : sources) {
            Logger logger = Logger.getLogger(source.getName());
            capture.loggers.add(logger);
            capture.levelsBefore.add(logger.getLevel());
            logger.setLevel(Level.INFO);
            logger.addHandler(capture);
        }
        return capture;
    }

    /** Every record so far, in the order logged. */
    public List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** The messages of every record so far. */
    public List<String> messages() {
        return records.stream().map(LogRecord::getMessage).toList();
    }

    /** The records logged at exactly {@code level}. */
    public Stream<LogRecord> at(Level level) {
        return records.stream().filter(r -> r.getLevel() == level);
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    /** Stops capturing and gives each logger its level back. */
    @Override
    public void close() {
        for (int i = 0; i < loggers.size(); i++) {
            loggers.get(i).removeHandler(this);
            loggers.get(i).setLevel(levelsBefore.get(i));
        }
    }
}
