package dev.ondemandd.daemon.cache;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The eviction policy: least recently used idle files first, until the cache fits its quota. */
public final class LruEviction {

    private LruEviction() {
    }

    /**
     * One cache file.
     *
     * @param path the file
     * @param bytes the bytes it holds on disk (data extents; a sparse file's holes take none)
     * @param lastUsedMillis when a mount last used it (the janitor stamps files in use as it passes)
     * @param inUse whether a mounted image uses it now: never evicted
     */
    public record Entry(Path path, long bytes, long lastUsedMillis, boolean inUse) {
    }

    /** {@code entries} least recently used first; ties by path, so the order is stable. */
    public static List<Entry> leastRecentlyUsedFirst(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::lastUsedMillis).thenComparing(e -> e.path().toString()));
        return sorted;
    }

    /**
     * The idle entries to delete, least recently used first (ties by path, so the order is stable), until the
     * entries left hold at most {@code quota} bytes, or nothing idle is left.
     */
    public static List<Entry> choose(List<Entry> entries, long quota) {
        long total = 0;
        for (Entry e : entries) {
            total += e.bytes();
        }
        List<Entry> idle = leastRecentlyUsedFirst(entries.stream().filter(e -> !e.inUse()).toList());
        List<Entry> evict = new ArrayList<>();
        for (Entry e : idle) {
            if (total <= quota) {
                break;
            }
            evict.add(e);
            total -= e.bytes();
        }
        return evict;
    }
}
