package dev.ondemandd.fetchers;

import dev.ondemandd.fetchers.decorators.Decorators;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.decorators.MeteredFetcher;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.fetchers.http.HttpFetcher;
import dev.ondemandd.fetchers.nfs.NfsFetcher;
import dev.ondemandd.fetchers.oci.OciFetcher;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
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
        return Decorators.standard(raw, source, options, metrics);
    }

    /**
     * A configured source: its name (for metrics and logs), its URL template as in the config ({@code {volume}}
     * and {@code {cookie}} placeholders allowed) and its options.
     */
    public record RemoteSource(String name, String urlTemplate, SourceOptions options) {
    }

    /**
     * One fetcher per remote scheme family (http+https, oci, nfs) for a configuration's sources. A URL is
     * served with the options of the source whose template's literal prefix (up to its first placeholder) it
     * starts with, the longest prefix winning; URLs no source names (an image given on the command line) get
     * the defaults.
     *
     * @throws FetchException when a source's options cannot work (EINVAL)
     */
    public static List<Fetcher> forSources(List<RemoteSource> sources, FetchMetrics metrics) throws FetchException {
        List<Fetcher> out = new ArrayList<>();
        try {
            for (Set<String> family : List.of(Set.of("http", "https"), Set.of("oci"), Set.of("nfs"))) {
                String scheme = family.contains("http") ? "http" : family.iterator().next();
                out.add(routed(family, sources, scheme, (options, name) -> create(scheme, options, name, metrics)));
            }
        } catch (FetchException | RuntimeException e) {
            for (Fetcher f : out) {
                try {
                    f.close();
                } catch (IOException closeFailed) {
                    e.addSuppressed(closeFailed);
                }
            }
            throw e;
        }
        return out;
    }

    /**
     * The {@code file:} fetcher for a configuration's sources, metered per source as the remote ones are (a URL no
     * source names counts as source {@code file}). Local reads are neither retried nor digest-checked: a failing
     * local file fails the same way again at once.
     */
    public static Fetcher localFiles(List<RemoteSource> sources, FetchMetrics metrics) {
        try {
            return routed(Set.of("file"), sources, "file", (options, name) -> new MeteredFetcher(new FileFetcher(),
                    metrics, name));
        } catch (FetchException e) {
            throw new IllegalStateException("creating a file fetcher cannot fail", e);
        }
    }

    /** Makes the fetcher of one source. */
    @FunctionalInterface
    private interface SourceFetcher {
        Fetcher create(SourceOptions options, String source) throws FetchException;
    }

    /** One fetcher for {@code family}: each source of that family by its URL prefix, the rest by a default one. */
    private static Fetcher routed(Set<String> family, List<RemoteSource> sources, String fallbackName,
            SourceFetcher make) throws FetchException {
        List<Route> routes = new ArrayList<>();
        try {
            for (RemoteSource s : sources) {
                String template = s.urlTemplate();
                int colon = template.indexOf(':');
                if (colon > 0 && family.contains(template.substring(0, colon).toLowerCase(Locale.ROOT))) {
                    int brace = template.indexOf('{');
                    routes.add(new Route(brace < 0 ? template : template.substring(0, brace),
                            make.create(s.options(), s.name())));
                }
            }
            return new RoutingFetcher(family, routes, make.create(SourceOptions.DEFAULTS, fallbackName));
        } catch (FetchException | RuntimeException e) {
            for (Route r : routes) {
                try {
                    r.fetcher().close();
                } catch (IOException closeFailed) {
                    e.addSuppressed(closeFailed);
                }
            }
            throw e;
        }
    }

    /** URLs starting with {@code prefix} go to {@code fetcher}. */
    private record Route(String prefix, Fetcher fetcher) {
    }

    /** Picks a source's fetcher by the URL's prefix. */
    private static final class RoutingFetcher implements Fetcher {
        private final Set<String> schemes;
        private final List<Route> routes;
        private final Fetcher fallback;

        RoutingFetcher(Set<String> schemes, List<Route> routes, Fetcher fallback) {
            this.schemes = Set.copyOf(schemes);
            this.routes = routes.stream().sorted(Comparator.comparingInt((Route r) -> r.prefix().length()).reversed())
                    .toList();
            this.fallback = fallback;
        }

        @Override
        public Set<String> schemes() {
            return schemes;
        }

        @Override
        public Blob open(URI location) throws FetchException {
            String url = location.toString();
            for (Route r : routes) {
                if (url.startsWith(r.prefix())) {
                    return r.fetcher().open(location);
                }
            }
            return fallback.open(location);
        }

        @Override
        public void close() throws IOException {
            IOException first = null;
            for (Fetcher f : routes.stream().map(Route::fetcher).toList()) {
                try {
                    f.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
            fallback.close();
            if (first != null) {
                throw first;
            }
        }
    }
}
