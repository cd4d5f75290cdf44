package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Checks a blob's bytes against its {@code sha256:} digest whenever one read covers the whole blob (a range
 * cannot be checked against a whole-blob digest). A mismatch fails the read as retryable: a torn transfer or a
 * bad mirror may do better on the next try, and the core never writes the wrong bytes either way.
 */
public final class DigestVerifyingFetcher extends ForwardingFetcher {

    private static final String SHA256 = "sha256:";
    private static final int SHA256_HEX_LENGTH = 64;


    public DigestVerifyingFetcher(Fetcher inner, FetchMetrics metrics, String source) {
        super(inner, metrics, source);
    }

    @Override
    public Blob open(URI location) throws FetchException {
        return new VerifyingBlob(inner.open(location));
    }

    /** The expected SHA-256 of a {@code sha256:<64 hex>} digest, or null for any other algorithm. */
    static byte[] expectedSha256(String digest) {
        if (!digest.startsWith(SHA256) || digest.length() != SHA256.length() + SHA256_HEX_LENGTH) {
            return null;
        }
        try {
            return HexFormat.of().parseHex(digest, SHA256.length(), digest.length());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private final class VerifyingBlob extends ForwardingBlob {
        private final byte[] expected;

        VerifyingBlob(Blob inner) {
            super(inner);
            this.expected = inner.digest().map(DigestVerifyingFetcher::expectedSha256).orElse(null);
        }


        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            int start = dst.position();
            inner.read(offset, dst);
            if (expected == null || offset != 0 || dst.position() - start != inner.size()) {
                return;
            }
            MessageDigest sha;
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
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
