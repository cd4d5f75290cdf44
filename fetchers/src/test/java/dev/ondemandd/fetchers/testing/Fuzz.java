package dev.ondemandd.fetchers.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seeded mutation fuzzing for parsers of untrusted bytes: inputs are valid examples (the corpus) mutated by
 * bit flips, interesting bytes, deletions, duplications, dictionary tokens, truncations and splices, plus some
 * purely random ones. A target may accept an input or reject it with one of its allowed (typed) exceptions;
 * anything else escaping, or one input taking longer than {@link #MAX_NANOS_PER_INPUT}, fails with the input.
 *
 * <p>How many inputs: {@code -Dondemandd.fuzz.inputs=N} per target, else the CI default the test gives
 * ({@code test-images/fuzz-all} runs 10^6 per target).
 */
public final class Fuzz {

    public static final String INPUTS_PROPERTY = "ondemandd.fuzz.inputs";
    /** The CI default: moderate, the build machine is shared. */
    public static final long CI_INPUTS = 100_000;
    /**
     * One input taking longer than this is a hang. Parsers here take microseconds; the bound is generous
     * because the build machine is shared and a GC pause or the first HTTP connection may take seconds.
     */
    public static final long MAX_NANOS_PER_INPUT = 10_000_000_000L;
    /** Longest input generated. */
    public static final int MAX_INPUT = 8192;

    private static final byte[] INTERESTING = "\0\u00ff\"{}[],:-+9.0eE\n\r\t\\ /*=;%@".getBytes(
            StandardCharsets.ISO_8859_1);

    /** Parses one input; returns normally when it accepted it. */
    @FunctionalInterface
    public interface Target {
        void accept(byte[] input) throws Throwable;
    }

    /** What a run did. */
    public record Result(String name, long inputs, long accepted, long rejected, long maxNanos, long elapsedNanos) {

        public String line() {
            return String.format(Locale.ROOT, "fuzz %-22s %,d inputs (%,d accepted, %,d rejected with the typed"
                    + " error), 0 crashes, slowest input %.3f ms, %.1f s", name, inputs, accepted, rejected,
                    maxNanos / 1e6, elapsedNanos / 1e9);
        }
    }

    private Fuzz() {
    }

    /** Inputs per target for this run. */
    public static long inputs() {
        return Long.getLong(INPUTS_PROPERTY, CI_INPUTS);
    }

    /**
     * Runs {@code count} inputs through {@code target}.
     *
     * @param allowed the typed rejections; any other throwable fails the run
     * @throws AssertionError naming the input (hex) and what escaped, or the input that took too long
     */
    @SafeVarargs
    public static Result run(String name, long seed, long count, List<byte[]> corpus, List<String> dictionary,
            Target target, Class<? extends Throwable>... allowed) {
        if (corpus.isEmpty()) {
            throw new IllegalArgumentException("a corpus of at least one valid input");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<byte[]> tokens = new ArrayList<>();
        for (String t : dictionary) {
            tokens.add(t.getBytes(StandardCharsets.UTF_8));
        }
        long accepted = 0;
        long rejected = 0;
        long max = 0;
        long start = System.nanoTime();
        for (long i = 0; i < count; i++) {
            byte[] input = generate(rnd, corpus, tokens);
            long t0 = System.nanoTime();
            try {
                target.accept(input);
                accepted++;
            } catch (Throwable e) {
                if (!isAllowed(e, allowed)) {
                    throw new AssertionError("fuzz " + name + " (seed " + seed + ", input " + i + "): " + e
                            + " escaped on " + describe(input), e);
                }
                rejected++;
            }
            long took = System.nanoTime() - t0;
            if (took > MAX_NANOS_PER_INPUT) {
                throw new AssertionError("fuzz " + name + " (seed " + seed + ", input " + i + "): took "
                        + took / 1_000_000 + " ms on " + describe(input));
            }
            max = Math.max(max, took);
        }
        Result result = new Result(name, count, accepted, rejected, max, System.nanoTime() - start);
        System.out.println(result.line());
        return result;
    }

    private static boolean isAllowed(Throwable e, Class<? extends Throwable>[] allowed) {
        for (Class<? extends Throwable> c : allowed) {
            if (c.isInstance(e)) {
                return true;
            }
        }
        return false;
    }

    private static String describe(byte[] input) {
        return "hex " + HexFormat.of().formatHex(input, 0, Math.min(input.length, 512))
                + (input.length > 512 ? "…" : "") + " (text: " + new String(input, StandardCharsets.UTF_8) + ")";
    }

    static byte[] generate(SplittableRandom rnd, List<byte[]> corpus, List<byte[]> tokens) {
        if (rnd.nextInt(20) == 0) {
            byte[] random = new byte[rnd.nextInt(256)];
            rnd.nextBytes(random);
            return random;
        }
        byte[] b = corpus.get(rnd.nextInt(corpus.size())).clone();
        int mutations = 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 16 : 4);
        for (int m = 0; m < mutations; m++) {
            b = mutate(rnd, b, corpus, tokens);
            if (b.length > MAX_INPUT) {
                b = Arrays.copyOf(b, MAX_INPUT);
            }
        }
        return b;
    }

    private static byte[] mutate(SplittableRandom rnd, byte[] b, List<byte[]> corpus, List<byte[]> tokens) {
        int at = b.length == 0 ? 0 : rnd.nextInt(b.length + 1);
        switch (rnd.nextInt(9)) {
            case 0 -> { // flip a bit
                if (b.length > 0) {
                    int i = rnd.nextInt(b.length);
                    b[i] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 1 -> { // an interesting byte
                if (b.length > 0) {
                    b[rnd.nextInt(b.length)] = INTERESTING[rnd.nextInt(INTERESTING.length)];
                }
                return b;
            }
            case 2 -> { // delete a range
                int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
                return concat(Arrays.copyOf(b, at), Arrays.copyOfRange(b, at + Math.max(len, 0), b.length));
            }
            case 3 -> { // duplicate a range
                int len = Math.min(b.length - at, 1 + rnd.nextInt(64));
                byte[] piece = Arrays.copyOfRange(b, at, at + Math.max(len, 0));
                return concat(Arrays.copyOf(b, at), piece, Arrays.copyOfRange(b, at, b.length));
            }
            case 4 -> { // a dictionary token
                if (tokens.isEmpty()) {
                    return b;
                }
                byte[] token = tokens.get(rnd.nextInt(tokens.size()));
                return concat(Arrays.copyOf(b, at), token, Arrays.copyOfRange(b, at, b.length));
            }
            case 5 -> { // truncate
                return Arrays.copyOf(b, at);
            }
            case 6 -> { // splice with another example
                byte[] other = corpus.get(rnd.nextInt(corpus.size()));
                int from = other.length == 0 ? 0 : rnd.nextInt(other.length);
                return concat(Arrays.copyOf(b, at), Arrays.copyOfRange(other, from, other.length));
            }
            case 7 -> { // a long run of one byte (deep nesting, long numbers)
                byte[] run = new byte[1 + rnd.nextInt(rnd.nextInt(4) == 0 ? 4096 : 32)];
                Arrays.fill(run, INTERESTING[rnd.nextInt(INTERESTING.length)]);
                return concat(Arrays.copyOf(b, at), run, Arrays.copyOfRange(b, at, b.length));
            }
            default -> { // a random byte inserted
                return concat(Arrays.copyOf(b, at), new byte[] {(byte) rnd.nextInt(256)},
                        Arrays.copyOfRange(b, at, b.length));
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** UTF-8 bytes of each example. */
    public static List<byte[]> corpus(String... examples) {
        return Arrays.stream(examples).map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
    }
}
