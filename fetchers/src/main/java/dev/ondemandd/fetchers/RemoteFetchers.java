package dev.ondemandd.fetchers;

import dev.ondemandd.fetchers.decorators.Decorators;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.http.HttpFetcher;
import dev.ondemandd.fetchers.nfs.NfsFetcher;
import dev.ondemandd.fetchers.oci.OciFetcher;
import java.util.Locale;
import java.util.Set;

/**
 * Builds the fetcher for one configured remote source: the scheme picks HTTP(S), OCI or NFS, the source's
 * options configure it, and the shared decorators (metrics, retry, digest verification) wrap it. One instance
 * per source: its concurrency limit, timeouts, credentials and token cache belong to that source.
 */
public final class RemoteFetchers {

    /** The schemes served here (the local {@code file} scheme is the FileFetcher's). */
    public static final Set<String> SCHEMES = Set.of("http", "https", "oci", "nfs");

    private RemoteFetchers() {
    }

    /**
     * @param scheme the source URL's scheme
     * @param source the source's name, for metrics and logs
     * @throws FetchException EINVAL for a scheme not served here or options that cannot work (a bad CA file)
     */
    public static Fetcher create(String scheme, SourceOptions options, String source, FetchMetrics metrics)
            throws FetchException {
        Fetcher raw = switch (scheme.toLowerCase(Locale.ROOT)) {
            case "http", "https" -> new HttpFetcher(options);
            case "oci" -> new OciFetcher(options);
            case "nfs" -> new NfsFetcher(options);
            default -> throw new FetchException("no remote fetcher for URL scheme '" + scheme + "'",
                    FetchException.EINVAL, false);
        };
        return Decorators.standard(raw, source, options.retry(), metrics);
    }
}
