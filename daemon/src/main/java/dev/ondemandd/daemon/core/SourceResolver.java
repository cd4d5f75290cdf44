package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Maps an {@link ObjectKey} to the blob that holds its bytes: the first {@link SourceRule} whose globs
 * match, its URL expanded, opened by the fetcher for the URL's scheme.
 */
public final class SourceResolver {

    private final List<SourceRule> rules;
    private final FetcherRegistry fetchers;

    /**
     * @throws IllegalArgumentException when a rule's scheme has no fetcher (the message names the rule's index)
     */
    public SourceResolver(List<SourceRule> rules, FetcherRegistry fetchers) {
        this.rules = List.copyOf(rules);
        this.fetchers = fetchers;
        for (int i = 0; i < this.rules.size(); i++) {
            String scheme = this.rules.get(i).scheme();
            if (fetchers.forScheme(scheme).isEmpty()) {
                throw new IllegalArgumentException("sources[" + i + "]: no fetcher for URL scheme '" + scheme
                        + "' (known: " + String.join(", ", fetchers.schemes()) + ")");
            }
        }
    }

    /** The first rule that matches {@code key}. */
    public Optional<SourceRule> match(ObjectKey key) {
        return rules.stream().filter(rule -> rule.matches(key)).findFirst();
    }

    /** The URL {@code key} is fetched from. @throws FetchException ENOENT (no rule) or EACCES (unsafe key) */
    public URI locate(ObjectKey key) throws FetchException {
        SourceRule rule = match(key).orElseThrow(() -> new FetchException(
                "no source matches " + key, FetchException.ENOENT, false));
        return rule.expand(key).orElseThrow(() -> new FetchException(
                "key " + key + " is not safe to put into " + rule.urlTemplate(), FetchException.EACCES, false));
    }

    /** Opens the blob for {@code key}, pinning its size. */
    public Blob resolve(ObjectKey key) throws FetchException {
        return fetchers.open(locate(key));
    }
}
