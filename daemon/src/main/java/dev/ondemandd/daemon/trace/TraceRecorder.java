package dev.ondemandd.daemon.trace;

import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.ObjectKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;

/**
 * Records what the core is asked, as a trace {@code replay} can run again: opens (with the size they were
 * answered with), reads as they arrive, closes. Object ids are the core's, new on every OPEN. A write error
 * stops the recording (logged once) rather than the serving.
 */
public final class TraceRecorder implements CoreListener, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TraceRecorder.class.getName());

    private final TraceWriter writer;
    private final long start = System.nanoTime();
    private volatile boolean broken;

    public TraceRecorder(TraceWriter writer, String kernel) throws IOException {
        this(writer, kernel, TraceFormat.CACHEFILES_LAYOUT);
    }

    /** A recorder whose header names {@code layout}, the kernel interface the requests came through. */
    public TraceRecorder(TraceWriter writer, String kernel, String layout) throws IOException {
        this.writer = writer;
        writer.write(new TraceEvent.Header(TraceFormat.VERSION, kernel, layout));
    }

    private long now() {
        return System.nanoTime() - start;
    }

    private void write(TraceEvent event) {
        if (broken) {
            return;
        }
        try {
            writer.write(event);
        } catch (IOException | UncheckedIOException e) {
            broken = true;
            LOG.log(Level.ERROR, "trace recording stopped: " + e.getMessage());
        }
    }

    @Override
    public void onOpen(ObjectKey key, long objectId, long size, long latencyNanos) {
        write(new TraceEvent.Open(Math.max(0, now() - latencyNanos), objectId, key.volume(), key.cookieText(), size));
    }

    @Override
    public void onRead(ObjectKey key, long objectId, long offset, long length) {
        if (offset >= 0 && length >= 0) {
            write(new TraceEvent.Read(now(), objectId, offset, length, null));
        }
    }

    @Override
    public void onClose(ObjectKey key, long objectId) {
        write(new TraceEvent.Close(now(), objectId));
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
