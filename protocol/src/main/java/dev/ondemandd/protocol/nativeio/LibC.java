package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.nio.Buffer;

/**
 * Raw glibc signatures, JNA direct mapping (64-bit Linux: size_t, ssize_t, off_t and pointers are 64-bit and
 * passed as {@code long}). Failures raise {@link LastErrorException} carrying errno. Nothing outside this
 * package sees this class; {@link Posix} is the Java face.
 *
 * <p>A {@link Buffer} argument passes the buffer's base address (JNA ignores its position); the {@code long}
 * overloads take an address for buffers whose position is not zero.
 */
final class LibC {

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    /** int open(const char *pathname, int flags, mode_t mode); pathname NUL-terminated. */
    static native int open(byte[] pathname, int flags, int mode) throws LastErrorException;

    /** int close(int fd); */
    static native int close(int fd) throws LastErrorException;

    /** ssize_t read(int fd, void *buf, size_t count); */
    static native long read(int fd, Buffer buf, long count) throws LastErrorException;

    static native long read(int fd, long buf, long count) throws LastErrorException;

    /** ssize_t write(int fd, const void *buf, size_t count); */
    static native long write(int fd, Buffer buf, long count) throws LastErrorException;

    static native long write(int fd, long buf, long count) throws LastErrorException;

    /** ssize_t pread(int fd, void *buf, size_t count, off_t offset); */
    static native long pread(int fd, Buffer buf, long count, long offset) throws LastErrorException;

    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    /** ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset); */
    static native long pwrite(int fd, Buffer buf, long count, long offset) throws LastErrorException;

    static native long pwrite(int fd, long buf, long count, long offset) throws LastErrorException;

    /** int poll(struct pollfd *fds, nfds_t nfds, int timeout); struct pollfd { int fd; short events, revents; } */
    static native int poll(Buffer fds, long nfds, int timeout) throws LastErrorException;

    /** int ioctl(int fd, unsigned long request, unsigned long arg); */
    static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    /** int fallocate(int fd, int mode, off_t offset, off_t len); */
    static native int fallocate(int fd, int mode, long offset, long len) throws LastErrorException;

    /** int ftruncate(int fd, off_t length); */
    static native int ftruncate(int fd, long length) throws LastErrorException;

    /** off_t lseek(int fd, off_t offset, int whence); */
    static native long lseek(int fd, long offset, int whence) throws LastErrorException;

    /** int fcntl(int fd, int cmd, long arg); */
    static native int fcntl(int fd, int cmd, long arg) throws LastErrorException;

    /** int pipe2(int pipefd[2], int flags); */
    static native int pipe2(int[] pipefd, int flags) throws LastErrorException;

    /** int unshare(int flags); */
    static native int unshare(int flags) throws LastErrorException;

    /** int chdir(const char *path); path NUL-terminated. */
    static native int chdir(byte[] path) throws LastErrorException;

    /** long sysconf(int name); */
    static native long sysconf(int name);

    /** char *strerror(int errnum); glibc returns a static or per-thread string. */
    static native String strerror(int errnum);
}
