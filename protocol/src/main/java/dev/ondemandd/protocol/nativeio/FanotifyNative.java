package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * Raw libc signatures the fanotify frontend needs (direct mapping, so no per-call reflection). Pointers are
 * passed as native addresses ({@code long}) of direct buffers, which keeps calls allocation-free.
 * Package-private: {@link FanotifyGroup} and {@link FileDescriptors} are the Java face.
 */
final class FanotifyNative {
    static {
        Native.register(FanotifyNative.class, "c");
    }

    private FanotifyNative() {
    }

    static final int O_RDONLY = 0x0;
    static final int O_RDWR = 0x2;
    static final int O_CLOEXEC = 0x80000;
    static final int O_LARGEFILE = 0x8000;
    static final int AT_FDCWD = -100;
    static final int SEEK_DATA = 3;
    static final int SEEK_HOLE = 4;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int STATX_INO = 0x100;
    /** sizeof(struct statx). */
    static final int STATX_SIZE = 256;
    static final int STATX_OFF_INO = 32;
    static final int STATX_OFF_DEV_MAJOR = 136;
    static final int STATX_OFF_DEV_MINOR = 140;
    static final short POLLIN = 0x1;

    /** int fanotify_init(unsigned int flags, unsigned int event_f_flags); needs CAP_SYS_ADMIN for pre-content. */
    static native int fanotify_init(int flags, int eventFileFlags) throws LastErrorException;

    /** int fanotify_mark(int fanotify_fd, unsigned int flags, uint64_t mask, int dirfd, const char *pathname). */
    static native int fanotify_mark(int fd, int flags, long mask, int dirfd, String path) throws LastErrorException;

    /** ssize_t read(int fd, void *buf, size_t count). */
    static native long read(int fd, long buf, long count) throws LastErrorException;

    /** ssize_t write(int fd, const void *buf, size_t count). */
    static native long write(int fd, long buf, long count) throws LastErrorException;

    /** ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset). */
    static native long pwrite(int fd, long buf, long count, long offset) throws LastErrorException;

    /** off_t lseek(int fd, off_t offset, int whence); SEEK_DATA / SEEK_HOLE fail with ENXIO past the end. */
    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    /** int poll(struct pollfd *fds, nfds_t nfds, int timeout). */
    static native int poll(long fds, long nfds, int timeout) throws LastErrorException;

    /** int statx(int dirfd, const char *pathname, int flags, unsigned int mask, struct statx *statxbuf). */
    static native int statx(int dirfd, String path, int flags, int mask, long buf) throws LastErrorException;

    /** int open(const char *pathname, int flags); never with O_CREAT, so the variadic mode is not passed. */
    static native int open(String path, int flags) throws LastErrorException;

    /** int dup(int oldfd). */
    static native int dup(int fd) throws LastErrorException;

    /** int close(int fd). */
    static native int close(int fd) throws LastErrorException;
}
