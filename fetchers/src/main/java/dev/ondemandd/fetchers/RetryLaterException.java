package dev.ondemandd.fetchers;

import java.time.Duration;

/** A retryable failure whose source said how long to wait first (HTTP {@code Retry-After} on 429 or 503). */
public class RetryLaterException extends FetchException {
    private static final long serialVersionUID = 1L;

    private final Duration retryAfter;

    public RetryLaterException(String message, Duration retryAfter) {
        super(message, EIO, true);
        this.retryAfter = retryAfter;
    }

    /** The wait the source asked for; the retry decorator waits at least this long, within its budget. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
