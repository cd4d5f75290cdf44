package dev.ondemandd.daemon.control;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ondemandd.daemon.core.CoreStats;
import dev.ondemandd.daemon.metrics.DaemonMetrics;
import dev.ondemandd.daemon.ops.KernelVersion;
import dev.ondemandd.daemon.ops.KernelWarnings;

/**
 * The {@code status} command: what a running daemon is doing, as one JSON object. Sections that a frontend
 * adds (its own counters) are {@linkplain #section registered} by the wiring.
 */
public final class DaemonStatus implements ControlCommand {

    private final Instant started;
    private final String frontend;
    private final KernelVersion kernel;
    private final List<KernelWarnings.Warning> warnings;
    private final Supplier<CoreStats> core;
    private final DaemonMetrics metrics;
    private final BooleanSupplier draining;
    private final Map<String, Supplier<?>> sections = new LinkedHashMap<>();

    /**
     * @param started  when the daemon started
     * @param frontend the kernel interface served ("cachefiles", "fanotify")
     * @param kernel   the running kernel
     * @param warnings what {@link KernelWarnings#check} found at start
     * @param core     the core's load
     * @param metrics  per-source counts
     * @param draining true once a drain or shutdown began
     */
    public DaemonStatus(Instant started, String frontend, KernelVersion kernel, List<KernelWarnings.Warning> warnings,
            Supplier<CoreStats> core, DaemonMetrics metrics, BooleanSupplier draining) {
        this.started = started;
        this.frontend = frontend;
        this.kernel = kernel;
        this.warnings = List.copyOf(warnings);
        this.core = core;
        this.metrics = metrics;
        this.draining = draining;
    }

    /** Adds {@code name} to the status, read from {@code value} (a record or map, rendered as JSON) each time. */
    public synchronized DaemonStatus section(String name, Supplier<?> value) {
        sections.put(Objects.requireNonNull(name), Objects.requireNonNull(value));
        return this;
    }

    @Override
    public synchronized JsonNode run(ObjectNode request) {
        ObjectNode status = ControlProtocol.JSON.createObjectNode();
        status.put("version", Objects.requireNonNullElse(DaemonStatus.class.getPackage().getImplementationVersion(),
                "dev"));
        status.put("pid", ProcessHandle.current().pid());
        status.put("uptimeSeconds", Duration.between(started, Instant.now()).toSeconds());
        status.put("frontend", frontend);
        status.put("kernel", kernel.release());
        var kernelWarnings = status.putArray("kernelWarnings");
        warnings.forEach(w -> kernelWarnings.add(w.text()));
        status.put("draining", draining.getAsBoolean());
        CoreStats stats = core.get();
        ObjectNode objects = status.putObject("objects");
        objects.put("open", stats.openObjects());
        objects.put("keys", stats.keys());
        ObjectNode requests = status.putObject("requests");
        requests.put("queued", stats.queuedReads());
        requests.put("inflight", stats.runningReads());
        ObjectNode sources = status.putObject("sources");
        metrics.sourceStats().forEach((name, s) -> sources.set(name, ControlProtocol.JSON.valueToTree(s)));
        sections.forEach((name, value) -> status.set(name, ControlProtocol.JSON.valueToTree(value.get())));
        return status;
    }
}
