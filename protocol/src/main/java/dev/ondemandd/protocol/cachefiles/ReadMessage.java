package dev.ondemandd.protocol.cachefiles;

/**
 * CACHEFILES_OP_READ: a reader waits for {@code [offset, offset + length)} of the object. Answered by
 * pwrite()ing the data through the object's anonymous fd, then ioctl(CACHEFILES_IOC_READ_COMPLETE, msg_id).
 *
 * <pre>
 * struct cachefiles_read {
 *         __u64 off;
 *         __u64 len;
 * };
 * </pre>
 */
public record ReadMessage(int msgId, int objectId, long offset, long length) implements CachefilesMessage {
}
