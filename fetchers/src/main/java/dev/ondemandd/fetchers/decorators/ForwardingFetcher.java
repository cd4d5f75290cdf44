package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.util.Set;

/** A fetcher decorator's common part: the wrapped fetcher, the metrics sink and the source's name. */
abstract class ForwardingFetcher implements Fetcher {

    protected final Fetcher inner;
    protected final FetchMetrics metrics;
    protected final String source;

    ForwardingFetcher(Fetcher inner, FetchMetrics metrics, String source) {
        this.inner = inner;
        this.metrics = metrics;
        this.source = source;
    }

    @Override
    public Set<String> schemes() {
        return inner.schemes();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
