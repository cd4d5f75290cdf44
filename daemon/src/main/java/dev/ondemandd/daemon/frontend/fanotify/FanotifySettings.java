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
 * @param readaheadKb the readahead set on each mount (KiB; 0 leaves the kernel's default): one event per batch;
 *     by default the unit, at most {@link #MOUNT_READAHEAD_CAP_KB}
 * @param cacheQuota bytes the cache directory's blobs and metadata images may hold on disk (0: no quota); above
 *     it, files no mounted image uses are evicted least recently used first
 * @param unitFromImage whether a blob is filled in the chunk size the image's chunk-based files use in it (read
 *     from the metadata; {@code unitSize} and {@code fillAhead} then only set the fill-ahead window in bytes, and
 *     are the fallback for a blob no chunk points into); false when a unit was configured
 */
public record FanotifySettings(int unitSize, int fillAhead, long maxMetaSize, Duration busyUnmountWait,
        int readaheadKb, long cacheQuota, boolean unitFromImage) {
    public static final int DEFAULT_UNIT_SIZE = 1 << 20;
    public static final int DEFAULT_FILL_AHEAD = 8;
    public static final long DEFAULT_MAX_META_SIZE = 1L << 30;
    public static final Duration DEFAULT_BUSY_UNMOUNT_WAIT = Duration.ofSeconds(10);
    public static final int MAX_FILL_AHEAD = 256;
    public static final int MAX_READAHEAD_KB = 64 * 1024;
    /**
     * The most readahead a mount gets from the unit. A batch as large as a 1 MiB unit saves round trips, but the
     * kernel builds the batch's page cache of folios as large as the batch, and on a VM whose free memory the host
     * takes back (virtio-balloon free page reporting) those high-order folios land on memory the host must fault
     * in again: the bench's cold 256 MiB read measured 350–1970 MiB/s with 1 MiB batches, 385–930 with 512 KiB,
     * 1459–2260 with 256 KiB and 940–1520 with the kernel's 128 KiB (same run, rotated order). Events for the
     * rest of a filled unit are answered at once, so the extra round trips cost little.
     */
    public static final int MOUNT_READAHEAD_CAP_KB = 256;
    /**
     * The smallest fill unit taken from an image's chunk size: images rebuilt from layers (mkfs.erofs's rebuild
     * mode) map every block as a chunk of its own, and filling 4 KiB at a time would cost a fetch per page.
     */
    public static final int MIN_IMAGE_UNIT = 64 << 10;

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
        this(unitSize, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, 0, true);
    }

    /** Units from each image's chunk size, 1 MiB where it has none. */
    public static FanotifySettings defaults() {
        return new FanotifySettings(DEFAULT_UNIT_SIZE, DEFAULT_FILL_AHEAD, DEFAULT_MAX_META_SIZE,
                DEFAULT_BUSY_UNMOUNT_WAIT, mountReadaheadKb(DEFAULT_UNIT_SIZE));
    }

    /**
     * The fill unit of a blob whose chunk-based files use chunks of {@code chunkBytes} (0: none point into it)
     * when units come from the image: that chunk size, at least {@link #MIN_IMAGE_UNIT} and at most
     * {@code unitSize} — mkfs.erofs 1.8 widens a file's chunks to the whole file when its data lies contiguous in the
     * blob (an 8 MiB file written at once is one 8 MiB chunk), so a chunk larger than the unit says only that, not
     * how the data is read. Else {@code unitSize}.
     */
    public int unitFor(long chunkBytes) {
        if (!unitFromImage || chunkBytes <= 0) {
            return unitSize;
        }
        long pages = (Math.min(chunkBytes, unitSize) + CoreSettings.PAGE_SIZE - 1) / CoreSettings.PAGE_SIZE;
        return (int) Math.min(unitSize, Math.max(MIN_IMAGE_UNIT, pages * CoreSettings.PAGE_SIZE));
    }

    /** The most units of {@code unit} bytes filled ahead: the same window in bytes as {@code fillAhead} units. */
    public int fillAheadFor(int unit) {
        return (int) Math.min(MAX_FILL_AHEAD, (long) fillAhead * unitSize / unit);
    }

    /**
     * The settings the configuration's fetch policy asks for: its unit is the fill unit (and, up to the cap, the
     * mounts' readahead), its read-ahead maximum the fill-ahead in units. With {@code unitConfigured} false the
     * unit is only the fallback: each blob is filled in its image's chunk size.
     */
    public static FanotifySettings shapedBy(FetchPolicy policy, boolean unitConfigured) {
        int units = (int) Math.min(MAX_FILL_AHEAD, policy.readaheadMax() / policy.unit());
        return defaults().withUnitSize(policy.unit()).withFillAhead(units)
                .withReadaheadKb(mountReadaheadKb(policy.unit())).withUnitFromImage(!unitConfigured);
    }

    /** The readahead (KiB) a mount gets for a fill unit of {@code unit} bytes: the unit, at most the cap. */
    static int mountReadaheadKb(int unit) {
        return Math.min(MOUNT_READAHEAD_CAP_KB, unit / 1024);
    }

    /**
     * What the core serving this frontend does with READs: the frontend already widens them to its units and
     * fills ahead, so the core fetches each as asked (merging, the bound in flight and nothing else).
     */
    public static FetchPolicy coreFetch(FetchPolicy policy) {
        return policy.withReadaheadMax(0).withUnit(CoreSettings.PAGE_SIZE).withPrefetchConcurrency(0);
    }

    public FanotifySettings withFillAhead(int value) {
        return new FanotifySettings(unitSize, value, maxMetaSize, busyUnmountWait, readaheadKb, cacheQuota,
                unitFromImage);
    }

    /** Every blob filled in units of {@code value} bytes, whatever its image's chunk size. */
    public FanotifySettings withUnitSize(int value) {
        return new FanotifySettings(value, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, cacheQuota, false);
    }

    public FanotifySettings withReadaheadKb(int value) {
        return new FanotifySettings(unitSize, fillAhead, maxMetaSize, busyUnmountWait, value, cacheQuota,
                unitFromImage);
    }

    public FanotifySettings withCacheQuota(long value) {
        return new FanotifySettings(unitSize, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, value,
                unitFromImage);
    }

    /** Whether each blob's unit comes from its image's chunk size (else {@code unitSize} for all). */
    public FanotifySettings withUnitFromImage(boolean value) {
        return new FanotifySettings(unitSize, fillAhead, maxMetaSize, busyUnmountWait, readaheadKb, cacheQuota,
                value);
    }
}
