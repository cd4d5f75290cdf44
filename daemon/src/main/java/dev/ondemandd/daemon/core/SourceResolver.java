package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps an {@link ObjectKey} to the blob that holds its bytes: the first {@link Route} whose rule matches,
 * its URL expanded, opened by the route's fetcher.
 */
public final class SourceResolver {

    /** A source rule and the fetcher that serves it (one per scheme, or one per source with its own options). */
    public record Route(SourceRule rule, Fetcher fetcher) {
    }

    /** Replaced whole by {@link #switchTo}; each lookup reads it once. */
    private volatile List<Route> routes;

    /** Routes tried in order. */
    public static SourceResolver of(List<Route> routes) {
        return new SourceResolver(routes);
    }

    /**
     * Rules served by the registry's fetcher for each rule's scheme.
     *
     * @throws IllegalArgumentException when a rule's scheme has no fetcher (the message names the rule's index)
     */
    public SourceResolver(List<SourceRule> rules, FetcherRegistry fetchers) {
        this(routes(rules, fetchers));
    }

    private SourceResolver(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    private static List<Route> routes(List<SourceRule> rules, FetcherRegistry fetchers) {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            SourceRule rule = rules.get(i);
            int index = i;
            Fetcher fetcher = fetchers.forScheme(rule.scheme()).orElseThrow(() -> new IllegalArgumentException(
                    "sources[" + index + "]: no fetcher for URL scheme '" + rule.scheme() + "' (known: "
                            + String.join(", ", fetchers.schemes()) + ")"));
            routes.add(new Route(rule, fetcher));
        }
        return routes;
    }

    /**
     * Resolves as {@code next} does from now on (a reload of the sources, an image mounted at runtime): OPENs
     * after this call use its routes; objects already open keep the blob they were opened with.
     */
    public void switchTo(SourceResolver next) {
        routes = next.routes;
    }

    /** The first route whose rule matches {@code key}. */
    public Optional<Route> match(ObjectKey key) {
        return routes.stream().filter(route -> route.rule().matches(key)).findFirst();
    }

    /** The URL {@code key} is fetched from. @throws FetchException ENOENT (no rule) or EACCES (unsafe key) */
    public URI locate(ObjectKey key) throws FetchException {
        return locate(key, route(key));
    }

    private Route route(ObjectKey key) throws FetchException {
        return match(key).orElseThrow(() -> new FetchException("no source matches " + key, FetchException.ENOENT,
                false));
    }

    private static URI locate(ObjectKey key, Route route) throws FetchException {
        return route.rule().expand(key).orElseThrow(() -> new FetchException("key " + key
                + " is not safe to put into " + route.rule().urlTemplate(), FetchException.EACCES, false));
    }

    /** Opens the blob for {@code key}, pinning its size. */
    public Blob resolve(ObjectKey key) throws FetchException {
        Route route = route(key);
        return route.fetcher().open(locate(key, route));
    }
}
