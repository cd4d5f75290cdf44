package dev.ondemandd.daemon.trace;

import java.util.List;
import java.util.Optional;

/** A whole trace: its optional header and its requests in file order. */
public record Trace(Optional<TraceEvent.Header> header, List<TraceEvent> events) {

    public Trace {
        events = List.copyOf(events);
    }
}
