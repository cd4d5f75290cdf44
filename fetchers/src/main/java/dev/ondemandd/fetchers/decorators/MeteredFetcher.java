package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;

/** Reports every open and read of a fetcher to a {@link FetchMetrics} under the source's name. */
public final class MeteredFetcher extends ForwardingFetcher {


    public MeteredFetcher(Fetcher inner, FetchMetrics metrics, String source) {
        super(inner, metrics, source);
    }

    @Override
    public Blob open(URI location) throws FetchException {
        long start = System.nanoTime();
        try {
            Blob blob = inner.open(location);
            metrics.opened(source, System.nanoTime() - start, 0);
            return new MeteredBlob(blob);
        } catch (FetchException e) {
            metrics.opened(source, System.nanoTime() - start, e.errno());
            throw e;
        }
    }

    private final class MeteredBlob extends ForwardingBlob {

        MeteredBlob(Blob inner) {
            super(inner);
        }


        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            long start = System.nanoTime();
            int length = dst.remaining();
            try {
                inner.read(offset, dst);
                metrics.read(source, length, System.nanoTime() - start, 0);
            } catch (IOException e) {
                metrics.read(source, 0, System.nanoTime() - start,
                        e instanceof FetchException fe ? fe.errno() : FetchException.EIO);
                throw e;
            }
        }
    }
}
