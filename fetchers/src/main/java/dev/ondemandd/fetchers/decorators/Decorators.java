package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;
import dev.ondemandd.fetchers.SourceOptions;
import java.nio.file.Path;

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

    /**
     * As {@link #standard(Fetcher, String, RetryPolicy, FetchMetrics)} with the source's options; with
     * {@code verifyWholeBlob}, whole-blob verification sits between metrics and retry (its staging reads are
     * retried like any other; a mismatch of the whole is final for the reads waiting on it).
     */
    public static Fetcher standard(Fetcher fetcher, String source, SourceOptions options, FetchMetrics metrics) {
        Fetcher verified = new DigestVerifyingFetcher(fetcher, metrics, source);
        Fetcher retried = new RetryingFetcher(verified, options.retry(), metrics, source);
        Fetcher staged = options.verifyWholeBlob()
                ? new WholeBlobVerifyingFetcher(retried, metrics, source, Path.of(System.getProperty("java.io.tmpdir")))
                : retried;
        return new MeteredFetcher(staged, metrics, source);
    }
}
