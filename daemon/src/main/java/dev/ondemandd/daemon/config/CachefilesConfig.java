package dev.ondemandd.daemon.config;

/**
 * The {@code cachefiles} section: what {@code run} writes to /dev/cachefiles before {@code bind ondemand}.
 *
 * @param dir the cache directory ({@code dir} command), created if missing
 * @param tag the cache tag ({@code tag} command); EROFS mounts with {@code -o fsid=…,domain_id=…} find the
 *     cache by it when it is not the default
 * @param device the device node, {@code /dev/cachefiles} unless set
 */
public record CachefilesConfig(String dir, String tag, String device) {

    public static final String DEFAULT_DEVICE = "/dev/cachefiles";
    public static final String DEFAULT_TAG = "ondemandd";

    public CachefilesConfig {
        if (tag == null) {
            tag = DEFAULT_TAG;
        }
        if (device == null) {
            device = DEFAULT_DEVICE;
        }
    }
}
