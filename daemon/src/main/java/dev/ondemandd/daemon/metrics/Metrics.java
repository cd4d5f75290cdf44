package dev.ondemandd.daemon.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Optional;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The daemon's metrics as one piece: a Prometheus registry with the daemon's meters and the JVM and process
 * binders, and, when the configuration has {@code "metrics": {"listen": "HOST:PORT"}}, the HTTP endpoint.
 * Without a listen address the meters still record (the control socket's status reads the core directly), and
 * nothing listens.
 */
public final class Metrics implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final DaemonMetrics daemon;
    private MetricsServer server;

    private Metrics(PrometheusMeterRegistry registry) {
        this.registry = registry;
        this.daemon = new DaemonMetrics(registry);
        DaemonMetrics.bindJvm(registry);
    }

    /** A registry with every meter; nothing served yet. */
    public static Metrics create() {
        return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /**
     * Starts serving {@code /metrics} at {@code listen} ({@code HOST:PORT}); a null or blank value serves
     * nothing (metrics off).
     *
     * @throws IllegalArgumentException when {@code listen} is malformed
     * @throws IOException              when it cannot be bound
     */
    public Metrics serve(String listen) throws IOException {
        if (listen == null || listen.isBlank()) {
            return this;
        }
        return serve(ListenAddress.parse(listen.strip()));
    }

    /** Starts serving {@code /metrics} at {@code address}. */
    public synchronized Metrics serve(InetSocketAddress address) throws IOException {
        if (server != null) {
            throw new IllegalStateException("metrics already served at " + server.address());
        }
        server = MetricsServer.start(address, registry);
        return this;
    }

    /** The listener and fetch observer to hand to the core and the fetcher decorators. */
    public DaemonMetrics daemon() {
        return daemon;
    }

    /** The registry, for a scrape without HTTP. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Where {@code /metrics} is served, if it is. */
    public synchronized Optional<InetSocketAddress> address() {
        return Optional.ofNullable(server).map(MetricsServer::address);
    }

    @Override
    public synchronized void close() {
        if (server != null) {
            server.close();
            server = null;
        }
        registry.close();
    }
}
