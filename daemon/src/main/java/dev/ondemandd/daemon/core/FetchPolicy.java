package dev.ondemandd.daemon.core;

/**
 * How the core turns READs into fetches: how far a READ is widened, whether READs share fetches, how far a
 * sequential reader is read ahead, whether idle slots prefetch, and how many requested bytes may wait at once.
 *
 * @param unit READs are widened to whole units, aligned (never past the object's end): the blob's chunk size,
 *     a multiple of {@link CoreSettings#PAGE_SIZE}; one page turns amplification off
 * @param readaheadMax the largest window fetched past a sequential READ (bytes, a multiple of the unit or 0 for
 *     none); the window starts at one unit and doubles with each sequential READ that missed
 * @param merge whether a READ whose pages a fetch in flight (or queued READs of the same fetch) already covers
 *     waits for that fetch instead of fetching again
 * @param maxBytesInFlight bytes of READs taken in and not yet answered; past it, submitting waits (the frontend
 *     stops taking requests from the kernel, which holds them) until answers bring it back under
 * @param prefetchConcurrency fetch slots that may prefetch whole objects, unit by unit, while no READ waits for
 *     a slot (0: off); the slots a demand READ needs are never taken by prefetch
 */
public record FetchPolicy(int unit, long readaheadMax, boolean merge, long maxBytesInFlight,
        int prefetchConcurrency) {

    public static final int DEFAULT_UNIT = 1 << 20;
    public static final long DEFAULT_READAHEAD_MAX = 8L << 20;
    public static final long DEFAULT_MAX_BYTES_IN_FLIGHT = 256L << 20;
    /** The largest unit: a READ is never widened past this. */
    public static final int MAX_UNIT = 64 << 20;
    public static final long MAX_READAHEAD = 1L << 30;
    /** The least bound on bytes in flight: one largest READ the kernel sends must fit. */
    public static final long MIN_BYTES_IN_FLIGHT = 1L << 20;

    public FetchPolicy {
        if (unit < CoreSettings.PAGE_SIZE || unit > MAX_UNIT || unit % CoreSettings.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("unit must be a multiple of " + CoreSettings.PAGE_SIZE + " up to "
                    + MAX_UNIT + ", not " + unit);
        }
        if (readaheadMax < 0 || readaheadMax > MAX_READAHEAD || readaheadMax % unit != 0) {
            throw new IllegalArgumentException("readaheadMax must be 0 or a multiple of the unit (" + unit
                    + ") up to " + MAX_READAHEAD + ", not " + readaheadMax);
        }
        if (maxBytesInFlight < MIN_BYTES_IN_FLIGHT) {
            throw new IllegalArgumentException("maxBytesInFlight must be at least " + MIN_BYTES_IN_FLIGHT + ", not "
                    + maxBytesInFlight);
        }
        if (prefetchConcurrency < 0 || prefetchConcurrency > CoreSettings.MAX_CONCURRENCY) {
            throw new IllegalArgumentException("prefetchConcurrency must be 0.." + CoreSettings.MAX_CONCURRENCY
                    + ", not " + prefetchConcurrency);
        }
    }

    /** 1 MiB units, read-ahead up to 8 MiB, merging on, 256 MiB in flight, no prefetch. */
    public static FetchPolicy defaults() {
        return new FetchPolicy(DEFAULT_UNIT, DEFAULT_READAHEAD_MAX, true, DEFAULT_MAX_BYTES_IN_FLIGHT, 0);
    }

    /**
     * Each READ fetches exactly its own pages: no widening, no read-ahead, no prefetch (merging stays on: it
     * only joins READs for the same pages). What a frontend that shapes fetches itself wants.
     */
    public static FetchPolicy exact() {
        return new FetchPolicy(CoreSettings.PAGE_SIZE, 0, true, DEFAULT_MAX_BYTES_IN_FLIGHT, 0);
    }

    public FetchPolicy withUnit(int value) {
        return new FetchPolicy(value, readaheadMax, merge, maxBytesInFlight, prefetchConcurrency);
    }

    public FetchPolicy withReadaheadMax(long value) {
        return new FetchPolicy(unit, value, merge, maxBytesInFlight, prefetchConcurrency);
    }

    public FetchPolicy withMerge(boolean value) {
        return new FetchPolicy(unit, readaheadMax, value, maxBytesInFlight, prefetchConcurrency);
    }

    public FetchPolicy withMaxBytesInFlight(long value) {
        return new FetchPolicy(unit, readaheadMax, merge, value, prefetchConcurrency);
    }

    public FetchPolicy withPrefetchConcurrency(int value) {
        return new FetchPolicy(unit, readaheadMax, merge, maxBytesInFlight, value);
    }

    long alignDown(long offset) {
        return offset - offset % unit;
    }

    long alignUp(long offset) {
        long r = offset % unit;
        return r == 0 ? offset : offset + (unit - r);
    }
}
