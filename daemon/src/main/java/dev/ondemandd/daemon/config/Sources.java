package dev.ondemandd.daemon.config;

import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import java.io.IOException;

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
        FetcherRegistry fetchers = FetcherRegistry.of(new FileFetcher());
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

    @Override
    public void close() throws IOException {
        fetchers.close();
    }
}
