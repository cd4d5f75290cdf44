package dev.ondemandd.daemon.config;

import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.RemoteFetchers;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.file.FileFetcher;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The fetchers a configuration's {@code sources} are served by, and the resolver over them. This is the one
 * place fetchers are created: a new fetcher (a URL scheme) is registered here.
 */
public final class Sources implements AutoCloseable {

    private final FetcherRegistry fetchers;
    private final SourceResolver resolver;

    private Sources(FetcherRegistry fetchers, SourceResolver resolver) {
        this.fetchers = fetchers;
        this.resolver = resolver;
    }

    /** Creates the fetchers and checks every source's scheme against them. */
    public static Sources open(DaemonConfig config) throws ConfigException {
        return open(config, FetchMetrics.NONE);
    }

    /**
     * Creates the fetchers (local files, and the remote ones with each source's options, reporting to
     * {@code metrics}) and checks every source's scheme against them.
     */
    public static Sources open(DaemonConfig config, FetchMetrics metrics) throws ConfigException {
        List<Fetcher> all = new ArrayList<>(List.of(new FileFetcher()));
        List<SourceConfig> configured = config.sources() == null ? List.of() : config.sources();
        List<RemoteFetchers.RemoteSource> remote = new ArrayList<>();
        for (int i = 0; i < configured.size(); i++) {
            SourceConfig s = configured.get(i);
            if (s != null && s.url() != null) {
                remote.add(new RemoteFetchers.RemoteSource("sources[" + i + "]", s.url(), s.options("sources[" + i + "]")));
            }
        }
        try {
            all.addAll(RemoteFetchers.forSources(remote, metrics));
        } catch (FetchException e) {
            throw new ConfigException("sources", e.getMessage(), e);
        }
        FetcherRegistry fetchers = FetcherRegistry.of(all);
        try {
            return new Sources(fetchers, config.resolver(fetchers));
        } catch (ConfigException | RuntimeException e) {
            try {
                fetchers.close();
            } catch (IOException closeFailed) {
                e.addSuppressed(closeFailed);
            }
            throw e;
        }
    }

    public SourceResolver resolver() {
        return resolver;
    }

    /** The fetchers themselves, for what is fetched outside the resolver (the fanotify metadata images). */
    public FetcherRegistry fetchers() {
        return fetchers;
    }

    @Override
    public void close() throws IOException {
        fetchers.close();
    }
}
