package dev.ondemandd.fetchers.testing;

import java.util.Random;

/** Deterministic test content: every offset has a byte that depends on it, so a shifted range shows. */
public final class TestBytes {

    private TestBytes() {
    }

    public static byte[] of(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static byte[] range(byte[] all, long offset, int length) {
        return java.util.Arrays.copyOfRange(all, (int) offset, (int) offset + length);
    }
}
