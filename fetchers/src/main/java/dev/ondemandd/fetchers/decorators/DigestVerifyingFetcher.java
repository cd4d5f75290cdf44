package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Checks a blob's bytes against its {@code sha256:} digest whenever one read covers the whole blob (a range
 * cannot be checked against a whole-blob digest). A mismatch fails the read as retryable: a torn transfer or a
 * bad mirror may do better on the next try, and the core never writes the wrong bytes either way.
 */
public final class DigestVerifyingFetcher extends ForwardingFetcher {

    public DigestVerifyingFetcher(Fetcher inner, FetchMetrics metrics, String source) {
        super(inner, metrics, source);
    }

    @Override
    public Blob open(URI location) throws FetchException {
        return new VerifyingBlob(inner.open(location));
    }

    private final class VerifyingBlob extends ForwardingBlob {
        private final byte[] expected;

        VerifyingBlob(Blob inner) {
            super(inner);
            this.expected = inner.digest().map(Digests::expectedSha256).orElse(null);
        }


        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            int start = dst.position();
            inner.read(offset, dst);
            if (expected == null || offset != 0 || dst.position() - start != inner.size()) {
                return;
            }
            MessageDigest sha = Digests.sha256();
            sha.update(dst.duplicate().position(start).limit(dst.position()));
            if (!MessageDigest.isEqual(expected, sha.digest())) {
                dst.position(start);
                metrics.digestMismatch(source);
                throw new FetchException(inner.describe() + ": content does not match its digest",
                        FetchException.EIO, true);
            }
        }
    }
}
