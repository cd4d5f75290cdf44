package dev.ondemandd.daemon.trace;

/** Constants of the trace format. */
public final class TraceFormat {

    /** The format version written in the header line. */
    public static final int VERSION = 1;

    /** The request layout of the kernel interface traces record (include/uapi/linux/cachefiles.h). */
    public static final String CACHEFILES_LAYOUT = "cachefiles_msg{u32 msg_id,u32 opcode,u32 len,u32 object_id}"
            + " open{u32 volume_key_size,u32 cookie_key_size,u32 fd,u32 flags,volume NUL,cookie}"
            + " read{u64 off,u64 len} native-endian";

    /**
     * The event layout of the fanotify frontend (include/uapi/linux/fanotify.h, 6.14+); its READs are the fill
     * units the core fetched, its objects the blobs ({@code fanotify/image<N>.blob<slot>}).
     */
    public static final String FANOTIFY_LAYOUT = "fanotify_event_metadata{u32 event_len,u8 vers 3,u8 reserved,"
            + "u16 metadata_len 24,u64 mask,s32 fd,s32 pid} info_range{u8 type 6,u8 pad,u16 len 24,u32 pad,"
            + "u64 offset,u64 count} response{s32 fd,u32 response} native-endian";

    /** The longest line a reader accepts; a longer one is malformed, not a reason to run out of memory. */
    public static final int MAX_LINE_CHARS = 64 * 1024;

    private TraceFormat() {
    }
}
