package dev.ondemandd.fetchers.decorators;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/** The one place {@code sha256:<hex>} content digests are parsed and compared. */
public final class Digests {

    private static final String SHA256 = "sha256:";
    private static final int SHA256_HEX_LENGTH = 64;

    private Digests() {
    }

    /** The expected SHA-256 of a {@code sha256:<64 hex>} digest, or null for any other algorithm or form. */
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

    /** A new SHA-256 digester. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Whether bytes whose SHA-256 is {@code actual} contradict {@code digest}: false when the digest is absent or
     * not a sha256 one (nothing to check against), true only for a real mismatch.
     */
    public static boolean contradicts(Optional<String> digest, byte[] actual) {
        byte[] expected = digest.map(Digests::expectedSha256).orElse(null);
        return expected != null && !MessageDigest.isEqual(expected, actual);
    }
}
