package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;

/**
 * Retries a fetcher's opens and its blobs' reads under a {@link RetryPolicy}: connection errors, timeouts,
 * 429 and 5xx answers (whatever the fetcher marks {@link FetchException#retryable()}) are tried again with
 * backoff and jitter, bounded by a try count and a time budget. A read's buffer is rewound before each retry,
 * so a retry never leaves a torn range behind.
 */
public final class RetryingFetcher extends ForwardingFetcher {

    private final Retrier retrier;

    public RetryingFetcher(Fetcher inner, RetryPolicy policy, FetchMetrics metrics, String source) {
        super(inner, metrics, source);
        this.retrier = new Retrier(policy, metrics, source);
    }

    @Override
    public Blob open(URI location) throws FetchException {
        Blob blob;
        try {
            blob = retrier.call(() -> inner.open(location), () -> { });
        } catch (FetchException e) {
            throw e;
        } catch (IOException e) {
            throw new FetchException("open failed: " + e.getMessage(), FetchException.EIO, false, e);
        }
        return new RetryingBlob(blob, retrier);
    }

    /** Wraps a single blob. */
    static final class RetryingBlob extends ForwardingBlob {
        private final Retrier retrier;

        RetryingBlob(Blob inner, Retrier retrier) {
            super(inner);
            this.retrier = retrier;
        }


        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            int position = dst.position();
            retrier.call(() -> {
                inner.read(offset, dst);
                return null;
            }, () -> dst.position(position));
        }
    }
}
