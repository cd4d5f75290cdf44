package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.ondemandd.daemon.cache.CullLimits;

/**
 * The {@code cachefiles} section: what {@code run} writes to /dev/cachefiles before {@code bind ondemand}.
 *
 * @param dir the cache directory ({@code dir} command), created if missing
 * @param tag the cache tag ({@code tag} command); EROFS mounts with {@code -o fsid=…,domain_id=…} find the
 *     cache by it when it is not the default
 * @param device the device node, {@code /dev/cachefiles} unless set
 * @param brun percent of the cache filesystem's free blocks above which the cache runs freely (kernel default 7)
 * @param bcull percent below which culling is due (default 5)
 * @param bstop percent below which the kernel refuses cache writes, so readers of data not cached yet get EIO
 *     instead of the disk filling up (default 1)
 * @param quota bytes the cache's object files may hold on disk; above it, objects no mounted filesystem uses are
 *     culled (the kernel's {@code inuse}/{@code cull}), least recently used first. Absent: no quota
 */
public record CachefilesConfig(String dir, String tag, String device, Integer brun, Integer bcull, Integer bstop,
        @JsonDeserialize(using = SizeDeserializer.class) Long quota) {

    public static final String DEFAULT_DEVICE = "/dev/cachefiles";
    public static final String DEFAULT_TAG = "ondemandd";

    public CachefilesConfig {
        if (tag == null) {
            tag = DEFAULT_TAG;
        }
        if (device == null) {
            device = DEFAULT_DEVICE;
        }
        if (brun == null) {
            brun = CullLimits.DEFAULTS.brun();
        }
        if (bcull == null) {
            bcull = CullLimits.DEFAULTS.bcull();
        }
        if (bstop == null) {
            bstop = CullLimits.DEFAULTS.bstop();
        }
    }

    /** With the kernel's default culling limits. */
    public CachefilesConfig(String dir, String tag, String device) {
        this(dir, tag, device, null, null, null, null);
    }

    /** The quota in bytes, 0 for none. */
    public long quotaBytes() {
        return quota == null ? 0 : quota;
    }

    /** The culling limits written before {@code bind}. */
    public CullLimits cullLimits() throws ConfigException {
        try {
            return new CullLimits(brun, bcull, bstop);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cachefiles", e.getMessage(), e);
        }
    }
}
