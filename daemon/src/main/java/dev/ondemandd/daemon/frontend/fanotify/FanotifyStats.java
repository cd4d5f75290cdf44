package dev.ondemandd.daemon.frontend.fanotify;

/**
 * Counters of the fanotify frontend since it started.
 *
 * @param events permission events read
 * @param allowed events answered FAN_ALLOW
 * @param denied events answered FAN_DENY_ERRNO (a fill failed, an unknown file, no range on an unfilled file)
 * @param alreadyFilled allowed events whose whole range was filled before they came
 * @param unknownFile events on a file the daemon does not serve
 * @param noRange events without a range record
 * @param malformed events the decoder rejected
 * @param unitFills fill units started (each fetches the holes in its range once)
 * @param bytesRequested bytes of holes handed to the core to fetch
 */
public record FanotifyStats(long events, long allowed, long denied, long alreadyFilled, long unknownFile,
        long noRange, long malformed, long unitFills, long bytesRequested) {
}
