package dev.ondemandd.daemon.core;

/**
 * A snapshot of the core's load, for gauges and the control socket.
 *
 * @param openObjects objects opened and not yet released
 * @param keys distinct object keys with a bound source (including opens in progress)
 * @param queuedReads READs waiting for a slot
 * @param runningReads READs taken from their queue (fetching or writing) and not yet answered
 */
public record CoreStats(int openObjects, int keys, int queuedReads, int runningReads) {
}
