package dev.ondemandd.protocol.cachefiles;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * CACHEFILES_OP_OPEN: the kernel opened a cache object and handed the daemon an anonymous fd for it.
 * Answered with {@code copen <msg_id>,<size or -errno>}.
 *
 * <pre>
 * struct cachefiles_open {
 *         __u32 volume_key_size;   // includes the trailing NUL
 *         __u32 cookie_key_size;
 *         __u32 fd;
 *         __u32 flags;
 *         __u8  data[];            // volume key, NUL, then the cookie key (binary, no NUL)
 * };
 * </pre>
 *
 * @param volumeKey the volume key without its trailing NUL (EROFS: {@code erofs,<domain_id or fsid>})
 * @param cookieKey the binary cookie key (EROFS: the fsid, or a device tag / {@code device=} name)
 * @param fd the write-only anonymous fd the kernel installed in the reading process
 */
public record OpenMessage(int msgId, int objectId, String volumeKey, byte[] cookieKey, int fd, int flags)
        implements CachefilesMessage {

    public OpenMessage {
        java.util.Objects.requireNonNull(volumeKey, "volumeKey");
        cookieKey = cookieKey.clone();
    }

    /** The cookie key's length, without copying it. */
    public int cookieKeyLength() {
        return cookieKey.length;
    }

    /** Whether the cookie key equals {@code other}, without copying it. */
    public boolean cookieKeyEquals(byte[] other) {
        return Arrays.equals(cookieKey, other);
    }

    @Override
    public byte[] cookieKey() {
        return cookieKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OpenMessage m && m.msgId == msgId && m.objectId == objectId && m.fd == fd
                && m.flags == flags && m.volumeKey.equals(volumeKey) && Arrays.equals(m.cookieKey, cookieKey);
    }

    @Override
    public int hashCode() {
        return (31 * (31 * msgId + objectId) + volumeKey.hashCode()) * 31 + Arrays.hashCode(cookieKey);
    }

    @Override
    public String toString() {
        return "OpenMessage[msgId=" + msgId + ", objectId=" + objectId + ", volumeKey=" + volumeKey
                + ", cookieKey=" + HexFormat.of().formatHex(cookieKey) + ", fd=" + fd + ", flags=" + flags + "]";
    }
}
