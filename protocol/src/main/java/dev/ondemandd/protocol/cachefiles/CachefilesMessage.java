package dev.ondemandd.protocol.cachefiles;

/**
 * One request read from /dev/cachefiles in on-demand mode.
 *
 * <pre>
 * struct cachefiles_msg {
 *         __u32 msg_id;
 *         __u32 opcode;      // CACHEFILES_OP_OPEN 0, CLOSE 1, READ 2
 *         __u32 len;         // header + payload
 *         __u32 object_id;
 *         __u8  data[];
 * };
 * </pre>
 */
public sealed interface CachefilesMessage permits OpenMessage, CloseMessage, ReadMessage {

    /** The id the kernel uses to match the answer (copen, READ_COMPLETE) to this request. */
    int msgId();

    /** The kernel's id for the object; new on every OPEN, including a re-open of the same cookie. */
    int objectId();
}
