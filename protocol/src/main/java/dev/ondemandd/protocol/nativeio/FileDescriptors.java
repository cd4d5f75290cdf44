package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Operations on raw file descriptors the kernel hands over (fanotify event fds): positional writes, hole
 * queries, identity, dup and close. Thread-safe.
 */
public final class FileDescriptors {
    private static final ThreadLocal<ByteBuffer> STATX = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(FanotifyNative.STATX_SIZE).order(ByteOrder.nativeOrder()));

    private FileDescriptors() {
    }

    /** The native address of {@code buf}'s first byte; {@code buf} must be direct. */
    static long address(ByteBuffer buf) {
        if (!buf.isDirect()) {
            throw new IllegalArgumentException("native I/O needs a direct buffer");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(buf));
    }

    /**
     * Writes all of {@code src} (position to limit, a direct buffer) at {@code offset}, retrying short writes;
     * the position advances to the limit.
     */
    public static void pwriteFully(int fd, ByteBuffer src, long offset) throws IOException {
        long base = address(src);
        long off = offset;
        while (src.hasRemaining()) {
            long n;
            try {
                n = FanotifyNative.pwrite(fd, base + src.position(), src.remaining(), off);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == ErrnoException.EINTR) {
                    continue;
                }
                throw NativeErrors.of("pwrite fd " + fd + " at " + off, e);
            }
            if (n <= 0) {
                throw new ErrnoException("pwrite fd " + fd + " at " + off + " wrote nothing", ErrnoException.EIO);
            }
            src.position(src.position() + (int) n);
            off += n;
        }
    }

    /** lseek(SEEK_DATA): the first offset at or after {@code from} holding data, or -1 if none does. */
    public static long seekData(int fd, long from) throws IOException {
        return seek(fd, from, FanotifyNative.SEEK_DATA);
    }

    /**
     * lseek(SEEK_HOLE): the first offset at or after {@code from} in a hole (the end of the file counts as
     * one), or -1 when {@code from} is at or past the end.
     */
    public static long seekHole(int fd, long from) throws IOException {
        return seek(fd, from, FanotifyNative.SEEK_HOLE);
    }

    private static long seek(int fd, long from, int whence) throws IOException {
        try {
            return FanotifyNative.lseek(fd, from, whence);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ErrnoException.ENXIO) {
                return -1;
            }
            throw NativeErrors.of("lseek fd " + fd + " whence " + whence, e);
        }
    }

    /** The inode behind {@code fd}. */
    public static FileId identity(int fd) throws IOException {
        return statx(fd, "", FanotifyNative.AT_EMPTY_PATH);
    }

    /** The inode at {@code path}, following symlinks. */
    public static FileId identity(Path path) throws IOException {
        return statx(FanotifyNative.AT_FDCWD, path.toString(), 0);
    }

    private static FileId statx(int dirfd, String path, int flags) throws IOException {
        ByteBuffer buf = STATX.get();
        try {
            FanotifyNative.statx(dirfd, path, flags, FanotifyNative.STATX_INO, address(buf));
        } catch (LastErrorException e) {
            throw NativeErrors.of("statx " + (path.isEmpty() ? "fd " + dirfd : path), e);
        }
        return new FileId(buf.getInt(FanotifyNative.STATX_OFF_DEV_MAJOR), buf.getInt(FanotifyNative.STATX_OFF_DEV_MINOR),
                buf.getLong(FanotifyNative.STATX_OFF_INO));
    }

    /**
     * Opens {@code path} read-only for hole queries. Opening raises no pre-content event (only reads and writes
     * do), so this is safe on a marked file; never read through it.
     */
    public static int openReadOnly(Path path) throws IOException {
        try {
            return FanotifyNative.open(path.toString(), FanotifyNative.O_RDONLY | FanotifyNative.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw NativeErrors.of("open " + path, e);
        }
    }

    /** dup(2): a second fd on the same open file (same flags, same fanotify exemption). */
    public static int dup(int fd) throws IOException {
        try {
            return FanotifyNative.dup(fd);
        } catch (LastErrorException e) {
            throw NativeErrors.of("dup fd " + fd, e);
        }
    }

    /** close(2). The fd is gone afterwards even when close reports an error, so this never retries. */
    public static void close(int fd) throws IOException {
        try {
            FanotifyNative.close(fd);
        } catch (LastErrorException e) {
            throw NativeErrors.of("close fd " + fd, e);
        }
    }
}
