package dev.ondemandd.daemon.faults;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A list of faults to inject into a replay, parsed from {@code replay --faults SPEC}.
 *
 * <p>Grammar: {@code FAULT[,FAULT...]} where {@code FAULT = NAME[:ARG][@N]}. Fetch faults fire on the N-th
 * fetch (a read of a source blob, counted from 1 across all objects); kernel faults fire on the first fetch
 * that serves the N-th READ or a later one (a READ answered from the cache fetches nothing). N defaults to 1;
 * every fault fires once. Example: {@code error:5@2,slow:20@3,close-mid-fetch@4}.
 *
 * @param faults in the order given
 */
public record FaultSpec(List<Fault> faults) {

    /** Most faults one spec may hold: a spec is written by hand. */
    public static final int MAX_FAULTS = 64;
    /** Longest spec accepted, in characters. */
    public static final int MAX_SPEC_LENGTH = 4096;
    /** Largest trickle pause per step, so a {@code slow} fault cannot outlast every deadline by accident. */
    public static final long MAX_SLOW_MILLIS = 60_000;
    /** Digits enough for every number a spec takes; more is refused before parsing (no long overflow). */
    private static final int MAX_DIGITS = 18;

    public FaultSpec {
        faults = List.copyOf(faults);
    }

    /** Where a fault acts. */
    public enum Layer {
        /** Between the core and its source: the blob read misbehaves. */
        FETCH,
        /** The simulated kernel does something unusual while a fetch runs (or, for an OPEN, before the trace). */
        KERNEL
    }

    /** The fault kinds, by their spec name. */
    public enum Kind {
        /** The fetch fails with errno ARG (default 5, EIO). */
        ERROR("error", Layer.FETCH, 5, 1, 4095),
        /** The fetch never returns by itself: it blocks until the core's READ deadline interrupts it. */
        TIMEOUT("timeout", Layer.FETCH, -1, 0, 0),
        /** The fetch trickles: ARG milliseconds (default 10) of pause per 4 KiB delivered. */
        SLOW("slow", Layer.FETCH, 10, 0, MAX_SLOW_MILLIS),
        /** The fetch returns with only the first half of the bytes asked (a blob breaking its contract). */
        SHORT("short", Layer.FETCH, -1, 0, 0),
        /** The fetch delivers the bytes with the first one flipped; caught only where a digest is known. */
        CORRUPT("corrupt", Layer.FETCH, -1, 0, 0),
        /** The filesystem drops the object (CLOSE) while one of its READs is being fetched. */
        CLOSE_MID_FETCH("close-mid-fetch", Layer.KERNEL, -1, 0, 0),
        /** The kernel queues a second READ for the same range while the first is being fetched. */
        DUPLICATE_READ("duplicate-read", Layer.KERNEL, -1, 0, 0),
        /** {@code restore} is written while a READ is being fetched: the kernel hands that READ out again. */
        RESTORE_MID_FETCH("restore-mid-fetch", Layer.KERNEL, -1, 0, 0),
        /** The kernel queues a READ for an object id the daemon never opened. */
        UNKNOWN_OBJECT_READ("unknown-object-read", Layer.KERNEL, -1, 0, 0),
        /** Before the trace, an OPEN for a key no source matches; it must be refused, not hang. */
        UNMATCHED_OPEN("unmatched-open", Layer.KERNEL, -1, 0, 0);

        private final String spec;
        private final Layer layer;
        private final long defaultArg;
        private final long minArg;
        private final long maxArg;

        Kind(String spec, Layer layer, long defaultArg, long minArg, long maxArg) {
            this.spec = spec;
            this.layer = layer;
            this.defaultArg = defaultArg;
            this.minArg = minArg;
            this.maxArg = maxArg;
        }

        public String spec() {
            return spec;
        }

        public Layer layer() {
            return layer;
        }

        boolean takesArg() {
            return defaultArg >= 0;
        }

        static String names() {
            return Arrays.stream(values()).map(Kind::spec).collect(Collectors.joining(", "));
        }
    }

    /**
     * One fault.
     *
     * @param kind what happens
     * @param arg the kind's argument (errno, milliseconds), or -1 for kinds that take none
     * @param nth the fetch (fetch faults) or READ (kernel faults) it fires on, from 1
     */
    public record Fault(Kind kind, long arg, long nth) {

        @Override
        public String toString() {
            return kind.spec() + (arg >= 0 ? ":" + arg : "") + "@" + nth;
        }
    }

    /** No faults: a plain replay. */
    public static FaultSpec none() {
        return new FaultSpec(List.of());
    }

    /** Parses {@code text}. @throws FaultSpecException naming the entry that is wrong and what would be right */
    public static FaultSpec parse(String text) throws FaultSpecException {
        if (text == null || text.isBlank()) {
            throw new FaultSpecException("empty: give one or more of " + Kind.names() + ", e.g. error:5@2,timeout@3");
        }
        if (text.length() > MAX_SPEC_LENGTH) {
            throw new FaultSpecException("longer than " + MAX_SPEC_LENGTH + " characters");
        }
        String[] entries = text.split(",", -1);
        if (entries.length > MAX_FAULTS) {
            throw new FaultSpecException(entries.length + " faults; at most " + MAX_FAULTS);
        }
        List<Fault> faults = new ArrayList<>();
        for (String entry : entries) {
            faults.add(parseOne(entry.strip()));
        }
        return new FaultSpec(faults);
    }

    private static Fault parseOne(String entry) throws FaultSpecException {
        if (entry.isEmpty()) {
            throw new FaultSpecException("an empty entry (two commas, or a comma at an end)");
        }
        String rest = entry;
        long nth = 1;
        int at = rest.indexOf('@');
        if (at >= 0) {
            nth = number(entry, "@N", rest.substring(at + 1), 1, Integer.MAX_VALUE);
            rest = rest.substring(0, at);
        }
        String argText = null;
        int colon = rest.indexOf(':');
        if (colon >= 0) {
            argText = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        String given = rest;
        String name = rest.toLowerCase(Locale.ROOT);
        Kind kind = Arrays.stream(Kind.values()).filter(k -> k.spec.equals(name)).findFirst()
                .orElseThrow(() -> new FaultSpecException("'" + entry + "': unknown fault '" + given + "' (known: "
                        + Kind.names() + ")"));
        long arg = kind.defaultArg;
        if (argText != null) {
            if (!kind.takesArg()) {
                throw new FaultSpecException("'" + entry + "': " + kind.spec + " takes no argument");
            }
            arg = number(entry, kind.spec + "'s argument", argText, kind.minArg, kind.maxArg);
        }
        return new Fault(kind, arg, nth);
    }

    private static long number(String entry, String what, String text, long min, long max)
            throws FaultSpecException {
        if (text.isEmpty() || text.length() > MAX_DIGITS || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new FaultSpecException("'" + entry + "': " + what + " must be a whole number " + min + ".." + max
                    + ", not '" + text + "'");
        }
        long value = Long.parseLong(text);
        if (value < min || value > max) {
            throw new FaultSpecException("'" + entry + "': " + what + " must be " + min + ".." + max + ", not "
                    + value);
        }
        return value;
    }

    /** The faults of one layer. */
    List<Fault> of(Layer layer) {
        return faults.stream().filter(f -> f.kind().layer() == layer).toList();
    }

    @Override
    public String toString() {
        return faults.stream().map(Fault::toString).collect(Collectors.joining(","));
    }
}
