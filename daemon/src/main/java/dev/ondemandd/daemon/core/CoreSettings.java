package dev.ondemandd.daemon.core;

import java.time.Duration;

/**
 * How the core schedules work.
 *
 * @param concurrency how many READs may fetch at once (also the number of pooled buffers)
 * @param readDeadline how long a READ may take from submission to its answer; past it the READ fails with EIO
 * @param openDeadline how long resolving an OPEN's source may take; past it the OPEN fails with EIO
 * @param bufferSize bytes fetched per step, a multiple of {@link #PAGE_SIZE}; a larger READ takes several
 * @param drainTimeout how long shutdown waits for in-flight work before giving up on it
 * @param fetch how READs become fetches (amplification, merging, read-ahead, prefetch, bytes in flight)
 */
public record CoreSettings(int concurrency, Duration readDeadline, Duration openDeadline, int bufferSize,
        Duration drainTimeout, FetchPolicy fetch) {

    /** The alignment of offsets and buffers the core writes with (direct I/O on the cache file). */
    public static final int PAGE_SIZE = 4096;
    public static final int MAX_CONCURRENCY = 4096;
    public static final int MAX_BUFFER_SIZE = 64 << 20;
    public static final int DEFAULT_CONCURRENCY = 16;
    public static final int DEFAULT_BUFFER_SIZE = 1 << 20;
    public static final Duration DEFAULT_READ_DEADLINE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_OPEN_DEADLINE = Duration.ofSeconds(30);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(35);

    public CoreSettings {
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be 1.." + MAX_CONCURRENCY + ", not " + concurrency);
        }
        if (bufferSize < PAGE_SIZE || bufferSize > MAX_BUFFER_SIZE || bufferSize % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("bufferSize must be a multiple of " + PAGE_SIZE + " up to "
                    + MAX_BUFFER_SIZE + ", not " + bufferSize);
        }
        requirePositive("readDeadline", readDeadline);
        requirePositive("openDeadline", openDeadline);
        requirePositive("drainTimeout", drainTimeout);
        if (fetch == null) {
            throw new IllegalArgumentException("fetch policy missing");
        }
    }

    /** Settings with the default {@link FetchPolicy}. */
    public CoreSettings(int concurrency, Duration readDeadline, Duration openDeadline, int bufferSize,
            Duration drainTimeout) {
        this(concurrency, readDeadline, openDeadline, bufferSize, drainTimeout, FetchPolicy.defaults());
    }

    private static void requirePositive(String name, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, not " + value);
        }
    }

    /** The defaults: 16 concurrent fetches, 1 MiB buffers, 30 s deadlines, {@link FetchPolicy#defaults()}. */
    public static CoreSettings defaults() {
        return new CoreSettings(DEFAULT_CONCURRENCY, DEFAULT_READ_DEADLINE, DEFAULT_OPEN_DEADLINE, DEFAULT_BUFFER_SIZE,
                DEFAULT_DRAIN_TIMEOUT);
    }

    public CoreSettings withConcurrency(int value) {
        return new CoreSettings(value, readDeadline, openDeadline, bufferSize, drainTimeout, fetch);
    }

    public CoreSettings withReadDeadline(Duration value) {
        return new CoreSettings(concurrency, value, openDeadline, bufferSize, drainTimeout, fetch);
    }

    public CoreSettings withOpenDeadline(Duration value) {
        return new CoreSettings(concurrency, readDeadline, value, bufferSize, drainTimeout, fetch);
    }

    public CoreSettings withBufferSize(int value) {
        return new CoreSettings(concurrency, readDeadline, openDeadline, value, drainTimeout, fetch);
    }

    public CoreSettings withDrainTimeout(Duration value) {
        return new CoreSettings(concurrency, readDeadline, openDeadline, bufferSize, value, fetch);
    }

    public CoreSettings withFetch(FetchPolicy value) {
        return new CoreSettings(concurrency, readDeadline, openDeadline, bufferSize, drainTimeout, value);
    }
}
