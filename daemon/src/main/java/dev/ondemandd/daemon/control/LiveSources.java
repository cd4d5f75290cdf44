package dev.ondemandd.daemon.control;

import dev.ondemandd.daemon.config.ConfigException;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sources of a running daemon, which change while it serves: images mounted at runtime add rules for their
 * own keys (ahead of everything else), a reload replaces the configured ones. The core holds {@link #resolver()}
 * for good; each change builds the whole route list anew and {@linkplain SourceResolver#switchTo switches} it in
 * at once, so an OPEN sees either the old sources or the new ones, never a mix.
 *
 * <p>Objects already open keep the blob they were opened with, and such a blob may still read through the
 * fetchers of the configuration it came from: superseded fetchers are therefore kept open and closed with this
 * object, when the daemon stops.
 */
public final class LiveSources implements AutoCloseable {

    private final SourceResolver resolver;
    private final List<SourceRule> fixed;
    private final Map<String, List<SourceRule>> runtime = new LinkedHashMap<>();
    private final List<Sources> superseded = new ArrayList<>();
    private Sources sources;
    private List<SourceRule> configured;

    /**
     * @param sources    the configuration's fetchers; owned (closed) by this object from now on
     * @param configured the configuration's source rules
     * @param fixed      rules of the frontend's own that stay across reloads (fanotify: its configured images' blobs
     *                   and its self-check), tried after the runtime images' and before the configured ones
     * @throws IllegalArgumentException when a rule's scheme has no fetcher
     */
    public LiveSources(Sources sources, List<SourceRule> configured, List<SourceRule> fixed) {
        this.sources = sources;
        this.configured = List.copyOf(configured);
        this.fixed = List.copyOf(fixed);
        this.resolver = build(sources, this.configured);
    }

    /** The resolver to give the core; it follows every change made here. */
    public SourceResolver resolver() {
        return resolver;
    }

    /** The current configuration's fetchers (for what is fetched outside the resolver). */
    public synchronized FetcherRegistry fetchers() {
        return sources.fetchers();
    }

    /** The current configuration's sources (image references are resolved with their options). */
    public synchronized Sources sources() {
        return sources;
    }

    /**
     * Adds {@code rules} under {@code owner} (a runtime image's mountpoint), ahead of every other rule.
     *
     * @throws IllegalArgumentException when a rule's scheme has no fetcher, or {@code owner} already has rules
     */
    public synchronized void add(String owner, List<SourceRule> rules) {
        if (runtime.containsKey(owner)) {
            throw new IllegalArgumentException(owner + " already has sources");
        }
        runtime.put(owner, List.copyOf(rules));
        try {
            resolver.switchTo(build(sources, configured));
        } catch (IllegalArgumentException e) {
            runtime.remove(owner);
            throw e;
        }
    }

    /** Removes the rules {@link #add added} under {@code owner}; nothing when there are none. */
    public synchronized void remove(String owner) {
        if (runtime.remove(owner) != null) {
            resolver.switchTo(build(sources, configured));
        }
    }

    /**
     * Replaces the configured sources with {@code config}'s: new fetchers, new rules. When anything about them is
     * wrong nothing changes.
     *
     * @return how many configured sources there are now
     * @throws ConfigException naming the key at fault
     */
    public synchronized int reload(DaemonConfig config, FetchMetrics metrics) throws ConfigException {
        List<SourceRule> rules = config.sourceRules();
        Sources next = Sources.open(config, metrics);
        SourceResolver built;
        try {
            built = build(next, rules);
        } catch (IllegalArgumentException e) {
            closeQuietly(next);
            throw new ConfigException("sources", e.getMessage(), e);
        }
        resolver.switchTo(built);
        superseded.add(sources);
        sources = next;
        configured = List.copyOf(rules);
        return rules.size();
    }

    private SourceResolver build(Sources with, List<SourceRule> configuredRules) {
        List<SourceRule> all = new ArrayList<>();
        runtime.values().forEach(all::addAll);
        all.addAll(fixed);
        all.addAll(configuredRules);
        return new SourceResolver(all, with.fetchers());
    }

    private static void closeQuietly(Sources s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing was opened through it
        }
    }

    @Override
    public synchronized void close() throws IOException {
        IOException first = null;
        for (Sources s : superseded) {
            try {
                s.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        superseded.clear();
        sources.close();
        if (first != null) {
            throw first;
        }
    }
}
