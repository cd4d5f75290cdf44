package dev.ondemandd.protocol.cachefiles;

/**
 * Sizes, opcodes, limits and the ioctl number of the cachefiles on-demand interface, as in
 * {@code include/uapi/linux/cachefiles.h} and {@code fs/cachefiles/daemon.c}.
 *
 * <pre>
 * #define CACHEFILES_MSG_MAX_SIZE 1024
 * enum cachefiles_opcode { CACHEFILES_OP_OPEN, CACHEFILES_OP_CLOSE, CACHEFILES_OP_READ };
 * #define CACHEFILES_IOC_READ_COMPLETE _IOW(0x98, 1, int)
 * </pre>
 */
public final class CachefilesConstants {

    /** CACHEFILES_MSG_MAX_SIZE: no message is longer; read() fails with EMSGSIZE if the pending one does not fit. */
    public static final int MSG_MAX_SIZE = CachefilesDevice.MSG_MAX_SIZE;

    /** sizeof(struct cachefiles_msg): msg_id, opcode, len, object_id. */
    public static final int MSG_HEADER_SIZE = 16;

    /** sizeof(struct cachefiles_open) without its data: volume_key_size, cookie_key_size, fd, flags. */
    public static final int OPEN_FIXED_SIZE = 16;

    /** Where the volume key starts in an OPEN message. */
    public static final int OPEN_KEYS_OFFSET = MSG_HEADER_SIZE + OPEN_FIXED_SIZE;

    /** sizeof(struct cachefiles_read): off, len. */
    public static final int READ_PAYLOAD_SIZE = 16;

    /** A READ message is exactly this long. */
    public static final int READ_MSG_SIZE = MSG_HEADER_SIZE + READ_PAYLOAD_SIZE;

    /** A CLOSE message is a bare header. */
    public static final int CLOSE_MSG_SIZE = MSG_HEADER_SIZE;

    /** fscache caps cookie keys at 255 bytes (uapi header comment). */
    public static final int COOKIE_KEY_MAX_SIZE = 255;

    /** The volume key is stored behind a u8 length byte, so at most 255 characters plus the NUL the OPEN counts. */
    public static final int VOLUME_KEY_MAX_SIZE = 256;

    /** CACHEFILES_OP_OPEN. */
    public static final int OP_OPEN = 0;
    /** CACHEFILES_OP_CLOSE. */
    public static final int OP_CLOSE = 1;
    /** CACHEFILES_OP_READ. */
    public static final int OP_READ = 2;

    /** MAX_ERRNO: copen with a size in [-MAX_ERRNO, -1] fails the OPEN with that errno; below it the kernel says EINVAL. */
    public static final int MAX_ERRNO = 4095;

    /** cachefiles_daemon_write() refuses commands longer than PAGE_SIZE - 1 bytes with EOPNOTSUPP. */
    public static final int COMMAND_MAX_BYTES = 4095;

    /** ioctl magic of cachefiles. */
    public static final int IOC_MAGIC = 0x98;

    /** CACHEFILES_IOC_READ_COMPLETE = _IOW(0x98, 1, int) = 0x40049801 on x86-64, arm64, riscv. */
    public static final int IOC_READ_COMPLETE = ioW(IOC_MAGIC, 1, Integer.BYTES);

    // asm-generic/ioctl.h layout: nr 8 bits, type 8 bits, size 14 bits, dir 2 bits.
    private static final int IOC_NRSHIFT = 0;
    private static final int IOC_TYPESHIFT = 8;
    private static final int IOC_SIZESHIFT = 16;
    private static final int IOC_DIRSHIFT = 30;
    private static final int IOC_WRITE = 1;
    private static final int IOC_SIZEMASK = (1 << 14) - 1;

    private CachefilesConstants() {
    }

    /** _IOW(type, nr, size) as asm-generic/ioctl.h computes it. */
    static int ioW(int type, int nr, int size) {
        if (type < 0 || type > 0xff || nr < 0 || nr > 0xff || size < 0 || size > IOC_SIZEMASK) {
            throw new IllegalArgumentException("ioctl field out of range: type=" + type + " nr=" + nr + " size=" + size);
        }
        return (IOC_WRITE << IOC_DIRSHIFT) | (type << IOC_TYPESHIFT) | (nr << IOC_NRSHIFT) | (size << IOC_SIZESHIFT);
    }

    /** The opcode's name for logs and metrics labels; "unknown" for anything else. */
    public static String opcodeName(int opcode) {
        return switch (opcode) {
            case OP_OPEN -> "open";
            case OP_CLOSE -> "close";
            case OP_READ -> "read";
            default -> "unknown";
        };
    }
}
