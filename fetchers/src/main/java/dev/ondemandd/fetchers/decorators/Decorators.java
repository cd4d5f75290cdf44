package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;

/** Stacks the shared decorators around a source's fetcher in the one order that makes sense. */
public final class Decorators {

    private Decorators() {
    }

    /**
     * Metrics outermost (one observation per read the core asked for, with its total time), then retry, then
     * digest verification innermost (so a mismatch is retried like any torn transfer).
     */
    public static Fetcher standard(Fetcher fetcher, String source, RetryPolicy retry, FetchMetrics metrics) {
        Fetcher verified = new DigestVerifyingFetcher(fetcher, metrics, source);
        Fetcher retried = new RetryingFetcher(verified, retry, metrics, source);
        return new MeteredFetcher(retried, metrics, source);
    }
}
