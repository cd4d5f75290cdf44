package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import java.time.Duration;

/**
 * How the fanotify frontend fills blobs.
 *
 * @param unitSize bytes filled per unit: an event fetches the holes of every unit its range touches
 * @param fillAhead the most units past a sequentially read one that are filled before they are asked for (an
 *     adaptive window: one unit when a reader turns sequential, doubling per sequential event)
 * @param maxMetaSize the largest metadata image fetched
 * @param busyUnmountWait how long shutdown retries unmounting a busy mount before giving up
 * @param readaheadKb the readahead set on each mount (KiB; 0 leaves the kernel's default): one event per batch
 * @param cacheQuota bytes the cache directory's blobs and metadata images may hold on disk (0: no quota); above
 *     it, files no mounted image uses are evicted least recently used first
 */
public record FanotifySettings(int unitSize, int fillAhead, long maxMetaSize, Duration busyUnmountWait,
        int readaheadKb, long cacheQuota) {
    public static final int DEFAULT_UNIT_SIZE = 1 << 20;
    public static final int DEFAULT_FILL_AHEAD = 8;
    public static final long DEFAULT_MAX_META_SIZE = 1L << 30;
    public static final Duration DEFAULT_BUSY_UNMOUNT_WAIT = Duration.ofSeconds(10);
    public static final int MAX_FILL_AHEAD = 256;
    public static final int MAX_READAHEAD_KB = 64 * 1024;

    public FanotifySettings {
        if (unitSize < CoreSettings.PAGE_SIZE || unitSize % CoreSettings.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("unitSize must be a multiple of " + CoreSettings.PAGE_SIZE);
        }
        if (fillAhead < 0 || fillAhead > MAX_FILL_AHEAD) {
            throw new IllegalArgumentException("fillAhead must be 0.." + MAX_FILL_AHEAD);
        }
        if (readaheadKb < 0 || readaheadKb > MAX_READAHEAD_KB) {
            throw new IllegalArgumentException("readaheadKb must be 0.." + MAX_READAHEAD_KB);
        }
        if (maxMetaSize < 4096) {
            throw new IllegalArgumentException("maxMetaSize must be at least 4096");
        }
        if (cacheQuota < 0) {
            throw new IllegalArgumentException("cacheQuota must not be negative");
        }
    }

    /** Without a cache quota. */
    public FanotifySettings(int unitSize, int fillAhead, long maxMetaSize, Duration busyUnmountWait,
            int readaheadKb) {
        this(unitSize, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, 0);
    }

    public static FanotifySettings defaults() {
        return new FanotifySettings(DEFAULT_UNIT_SIZE, DEFAULT_FILL_AHEAD, DEFAULT_MAX_META_SIZE,
                DEFAULT_BUSY_UNMOUNT_WAIT, DEFAULT_UNIT_SIZE / 1024);
    }

    /**
     * The settings the configuration's fetch policy asks for: its unit is the fill unit (and the mounts'
     * readahead), its read-ahead maximum the fill-ahead in units.
     */
    public static FanotifySettings shapedBy(FetchPolicy policy) {
        int units = (int) Math.min(MAX_FILL_AHEAD, policy.readaheadMax() / policy.unit());
        return defaults().withUnitSize(policy.unit()).withFillAhead(units)
                .withReadaheadKb(Math.min(MAX_READAHEAD_KB, policy.unit() / 1024));
    }

    /**
     * What the core serving this frontend does with READs: the frontend already widens them to its units and
     * fills ahead, so the core fetches each as asked (merging, the bound in flight and nothing else).
     */
    public static FetchPolicy coreFetch(FetchPolicy policy) {
        return policy.withReadaheadMax(0).withUnit(CoreSettings.PAGE_SIZE).withPrefetchConcurrency(0);
    }

    public FanotifySettings withFillAhead(int value) {
        return new FanotifySettings(unitSize, value, maxMetaSize, busyUnmountWait, readaheadKb, cacheQuota);
    }

    public FanotifySettings withUnitSize(int value) {
        return new FanotifySettings(value, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, cacheQuota);
    }

    public FanotifySettings withReadaheadKb(int value) {
        return new FanotifySettings(unitSize, fillAhead, maxMetaSize, busyUnmountWait, value, cacheQuota);
    }

    public FanotifySettings withCacheQuota(long value) {
        return new FanotifySettings(unitSize, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, value);
    }
}
