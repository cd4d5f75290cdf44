package dev.ondemandd.fetchers;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The fetchers a daemon serves with, found by URL scheme. Each scheme belongs to exactly one fetcher;
 * closing the registry closes every fetcher once.
 */
public final class FetcherRegistry implements AutoCloseable {

    private final Map<String, Fetcher> byScheme;
    private final List<Fetcher> fetchers;

    private FetcherRegistry(List<Fetcher> fetchers) {
        Map<String, Fetcher> map = new LinkedHashMap<>();
        for (Fetcher fetcher : fetchers) {
            for (String scheme : fetcher.schemes()) {
                String normalized = scheme.toLowerCase(Locale.ROOT);
                Fetcher previous = map.putIfAbsent(normalized, fetcher);
                if (previous != null) {
                    throw new IllegalArgumentException("URL scheme '" + normalized + "' is served by both "
                            + previous.getClass().getSimpleName() + " and " + fetcher.getClass().getSimpleName());
                }
            }
        }
        this.byScheme = Collections.unmodifiableMap(map);
        this.fetchers = List.copyOf(fetchers);
    }

    /** A registry of the given fetchers; a scheme claimed twice is an error. */
    public static FetcherRegistry of(Fetcher... fetchers) {
        return new FetcherRegistry(List.of(fetchers));
    }

    /** A registry of the given fetchers; a scheme claimed twice is an error. */
    public static FetcherRegistry of(List<Fetcher> fetchers) {
        return new FetcherRegistry(new ArrayList<>(fetchers));
    }

    /** The fetcher for {@code scheme} (case-insensitive). */
    public Optional<Fetcher> forScheme(String scheme) {
        return Optional.ofNullable(byScheme.get(scheme.toLowerCase(Locale.ROOT)));
    }

    /** Every scheme some fetcher serves. */
    public Set<String> schemes() {
        return byScheme.keySet();
    }

    /**
     * Opens {@code location} with the fetcher for its scheme.
     *
     * @throws FetchException EINVAL when no fetcher serves the scheme, else whatever the fetcher says
     */
    public Blob open(URI location) throws FetchException {
        String scheme = location.getScheme();
        if (scheme == null) {
            throw new FetchException("URL has no scheme: " + location, FetchException.EINVAL, false);
        }
        Fetcher fetcher = byScheme.get(scheme.toLowerCase(Locale.ROOT));
        if (fetcher == null) {
            throw new FetchException("no fetcher for URL scheme '" + scheme + "'", FetchException.EINVAL, false);
        }
        return fetcher.open(location);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (Fetcher fetcher : fetchers) {
            try {
                fetcher.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
