package dev.ondemandd.fetchers.decorators;

/**
 * Per-source observations of fetches, implemented by the daemon's metrics (micrometer) without the fetchers
 * depending on it. Calls come from many threads at once and must not block.
 */
public interface FetchMetrics {

    /** Records nothing. */
    FetchMetrics NONE = new FetchMetrics() {
    };

    /**
     * A blob was opened, or failed to open.
     *
     * @param errno 0 on success, else the positive errno the failure carries
     */
    default void opened(String source, long nanos, int errno) {
    }

    /**
     * One read finished (after any retries).
     *
     * @param bytes bytes delivered, 0 on failure
     * @param errno 0 on success, else the positive errno the failure carries
     */
    default void read(String source, long bytes, long nanos, int errno) {
    }

    /** A try failed and another follows after {@code backoffNanos}. */
    default void retried(String source, int attempt, long backoffNanos) {
    }

    /** A whole-blob read had the wrong digest. */
    default void digestMismatch(String source) {
    }
}
