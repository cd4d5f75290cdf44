package dev.ondemandd.daemon.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes trace events as JSON Lines; thread-safe, one whole line per event. */
public final class TraceWriter implements AutoCloseable {

    private static final JsonFactory JSON = new JsonFactory();

    private final Writer out;

    public TraceWriter(Writer out) {
        this.out = out;
    }

    /** A writer to a new (or truncated) file. */
    public static TraceWriter create(Path file) throws IOException {
        return new TraceWriter(new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8)));
    }

    /** Writes one event as one line. */
    public void write(TraceEvent event) throws IOException {
        StringWriter line = new StringWriter(128);
        try (JsonGenerator g = JSON.createGenerator(line)) {
            g.writeStartObject();
            switch (event) {
                case TraceEvent.Header h -> {
                    g.writeStringField("op", "header");
                    g.writeNumberField("format", h.format());
                    g.writeStringField("kernel", h.kernel());
                    g.writeStringField("layout", h.layout());
                }
                case TraceEvent.Open o -> {
                    g.writeNumberField("t_ns", o.tNs());
                    g.writeStringField("op", "open");
                    g.writeNumberField("object", o.object());
                    g.writeStringField("volume", o.volume());
                    g.writeStringField("cookie", o.cookie());
                    g.writeNumberField("size", o.size());
                }
                case TraceEvent.Read r -> {
                    g.writeNumberField("t_ns", r.tNs());
                    g.writeStringField("op", "read");
                    g.writeNumberField("object", r.object());
                    g.writeNumberField("off", r.off());
                    g.writeNumberField("len", r.len());
                    if (r.sha256() != null) {
                        g.writeStringField("sha256", r.sha256());
                    }
                }
                case TraceEvent.Close c -> {
                    g.writeNumberField("t_ns", c.tNs());
                    g.writeStringField("op", "close");
                    g.writeNumberField("object", c.object());
                }
            }
            g.writeEndObject();
        }
        synchronized (this) {
            out.write(line.toString());
            out.write('\n');
        }
    }

    public synchronized void flush() throws IOException {
        out.flush();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
