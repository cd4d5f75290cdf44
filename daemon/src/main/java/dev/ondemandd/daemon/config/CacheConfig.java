package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

/**
 * The {@code cache} section of the fanotify frontend.
 *
 * @param dir where metadata images and the blobs' sparse cache files live, on ext4, xfs or btrfs (filesystems
 *     with fanotify pre-content support); created if missing
 * @param quota bytes the cached blobs and metadata images may hold on disk (holes not counted); above it, those
 *     no mounted image uses are evicted, least recently used first. Absent: no quota
 */
public record CacheConfig(String dir, @JsonDeserialize(using = SizeDeserializer.class) Long quota) {

    public CacheConfig(String dir) {
        this(dir, null);
    }

    /** The quota in bytes, 0 for none. */
    public long quotaBytes() {
        return quota == null ? 0 : quota;
    }
}
