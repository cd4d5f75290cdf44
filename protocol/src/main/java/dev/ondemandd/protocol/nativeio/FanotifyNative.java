package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * Raw libc signatures of the fanotify frontend that {@link LibC} does not have (direct mapping). Pointers are
 * native addresses ({@code long}) of direct buffers, which keeps calls allocation-free. Package-private:
 * {@link FanotifyGroup} and {@link FileId} are the Java face.
 */
final class FanotifyNative {
    static {
        Native.register(FanotifyNative.class, "c");
    }

    private FanotifyNative() {
    }

    static final int O_LARGEFILE = 0x8000;
    static final int AT_FDCWD = -100;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_INO = 0x100;
    /** sizeof(struct statx). */
    static final int STATX_SIZE = 256;
    static final int STATX_OFF_INO = 32;
    static final int STATX_OFF_DEV_MAJOR = 136;
    static final int STATX_OFF_DEV_MINOR = 140;

    /** int fanotify_init(unsigned int flags, unsigned int event_f_flags); needs CAP_SYS_ADMIN for pre-content. */
    static native int fanotify_init(int flags, int eventFileFlags) throws LastErrorException;

    /** int fanotify_mark(int fanotify_fd, unsigned int flags, uint64_t mask, int dirfd, const char *pathname). */
    static native int fanotify_mark(int fd, int flags, long mask, int dirfd, String path) throws LastErrorException;

    /** int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf). */
    static native int statx(int dirfd, String path, int flags, int mask, long buf) throws LastErrorException;
}
