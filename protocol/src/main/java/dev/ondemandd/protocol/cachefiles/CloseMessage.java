package dev.ondemandd.protocol.cachefiles;

/**
 * CACHEFILES_OP_CLOSE: the kernel asks the daemon to close every fd it holds for the object. Never answered.
 */
public record CloseMessage(int msgId, int objectId) implements CachefilesMessage {
}
