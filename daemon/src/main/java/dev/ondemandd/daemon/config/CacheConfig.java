package dev.ondemandd.daemon.config;

/**
 * The {@code cache} section of the fanotify frontend.
 *
 * @param dir where metadata images and the blobs' sparse cache files live, on ext4, xfs or btrfs (filesystems
 *     with fanotify pre-content support); created if missing
 */
public record CacheConfig(String dir) {
}
