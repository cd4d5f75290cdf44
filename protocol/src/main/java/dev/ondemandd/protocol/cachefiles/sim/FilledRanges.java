package dev.ondemandd.protocol.cachefiles.sim;

import java.util.Map;
import java.util.TreeMap;

/**
 * The byte ranges of a cache file that hold data, kept in memory as the kernel keeps its own bookkeeping of a
 * backing file (its page cache and extent tree) without asking the filesystem again per read. Ranges are
 * half-open, disjoint and coalesced (touching ranges merge). Safe for concurrent use.
 */
final class FilledRanges {

    /** start → end of each range. */
    private final TreeMap<Long, Long> ranges = new TreeMap<>();

    /** Marks {@code [from, to)} as holding data. */
    synchronized void add(long from, long to) {
        if (to <= from) {
            return;
        }
        long start = from;
        long end = to;
        Map.Entry<Long, Long> before = ranges.floorEntry(from);
        if (before != null && before.getValue() >= from) {
            if (before.getValue() >= to) {
                return; // already inside one range
            }
            start = before.getKey();
        }
        // Swallow every range that starts inside [start, end] (touching counts).
        for (Map.Entry<Long, Long> next = ranges.ceilingEntry(start); next != null && next.getKey() <= end;
                next = ranges.ceilingEntry(start)) {
            end = Math.max(end, next.getValue());
            ranges.remove(next.getKey());
        }
        ranges.put(start, end);
    }

    /** Whether every byte of {@code [from, to)} holds data (an empty range does). */
    synchronized boolean covers(long from, long to) {
        if (to <= from) {
            return true;
        }
        Map.Entry<Long, Long> range = ranges.floorEntry(from);
        return range != null && range.getValue() >= to;
    }
}
