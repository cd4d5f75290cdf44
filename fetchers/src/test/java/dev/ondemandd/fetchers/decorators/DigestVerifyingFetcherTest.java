package dev.ondemandd.fetchers.decorators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DigestVerifyingFetcherTest {

    private static final byte[] CONTENT = "the quick brown fox".getBytes();

    /** A fake blob (unit test): serves {@code served} while claiming {@code digest}. */
    private static Fetcher serving(byte[] served, String digest) {
        return new Fetcher() {
            @Override
            public Set<String> schemes() {
                return Set.of("mem");
            }

            @Override
            public Blob open(URI location) {
                return new Blob() {
                    @Override
                    public long size() {
                        return served.length;
                    }

                    @Override
                    public void read(long offset, ByteBuffer dst) {
                        dst.put(served, (int) offset, dst.remaining());
                    }

                    @Override
                    public Optional<String> digest() {
                        return Optional.of(digest);
                    }

                    @Override
                    public String describe() {
                        return "mem";
                    }
                };
            }
        };
    }

    private static String sha256(byte[] b) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static Blob verified(byte[] served, byte[] claimed) throws Exception {
        return new DigestVerifyingFetcher(serving(served, sha256(claimed)), FetchMetrics.NONE, "s")
                .open(URI.create("mem:x"));
    }

    private static byte[] corrupted() {
        byte[] corrupt = CONTENT.clone();
        corrupt[3] ^= 1;
        return corrupt;
    }

    @Test
    void wholeBlobWithTheRightDigestPasses() throws Exception {
        Blob blob = verified(CONTENT, CONTENT);
        ByteBuffer dst = ByteBuffer.allocateDirect(CONTENT.length);
        blob.read(0, dst);
        assertThat(dst.position()).isEqualTo(CONTENT.length);
    }

    @Test
    void wholeBlobWithTheWrongDigestFailsAndLeavesThePositionAlone() throws Exception {
        Blob blob = verified(corrupted(), CONTENT);
        ByteBuffer dst = ByteBuffer.allocate(CONTENT.length);
        assertThatThrownBy(() -> blob.read(0, dst)).isInstanceOfSatisfying(FetchException.class,
                e -> assertThat(e.errno()).isEqualTo(FetchException.EIO));
        assertThat(dst.position()).isZero();
    }

    @Test
    void partialRangesCannotBeCheckedAndPass() throws Exception {
        Blob blob = verified(corrupted(), CONTENT);
        blob.read(0, ByteBuffer.allocate(5));
    }
}
