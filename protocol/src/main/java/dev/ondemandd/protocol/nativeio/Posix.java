package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The system calls ondemandd makes, with Java types: fds as {@code int}, data in direct {@link ByteBuffer}s
 * (from position to limit; the position advances by what was transferred), failures as {@link ErrnoException}.
 * EINTR is retried. Flag values are the Linux x86-64/arm64 ones (asm-generic/fcntl.h).
 */
public final class Posix {

    public static final int O_RDONLY = 0;
    public static final int O_WRONLY = 1;
    public static final int O_RDWR = 2;
    public static final int O_CREAT = 0100;
    public static final int O_EXCL = 0200;
    public static final int O_TRUNC = 01000;
    public static final int O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;

    public static final int SEEK_SET = 0;
    public static final int SEEK_CUR = 1;
    public static final int SEEK_END = 2;
    /** lseek: the next offset ≥ the given one that holds data. */
    public static final int SEEK_DATA = 3;
    /** lseek: the next offset ≥ the given one inside a hole (the end of the file counts as a hole). */
    public static final int SEEK_HOLE = 4;

    public static final short POLLIN = 0x1;
    public static final short POLLPRI = 0x2;
    public static final short POLLOUT = 0x4;
    public static final short POLLERR = 0x8;
    public static final short POLLHUP = 0x10;
    public static final short POLLNVAL = 0x20;

    /** fallocate: keep the file size (with PUNCH_HOLE it is required). */
    public static final int FALLOC_FL_KEEP_SIZE = 0x01;
    /** fallocate: deallocate the range, leaving a hole. */
    public static final int FALLOC_FL_PUNCH_HOLE = 0x02;

    private static final int F_GETFD = 1;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int F_SETFD = 2;
    private static final int FD_CLOEXEC = 1;
    private static final int SC_PAGESIZE = 30;
    private static final int POLLFD_SIZE = 8;

    // One struct pollfd per thread: the device loop polls on one platform thread, without allocating.
    private static final ThreadLocal<ByteBuffer> POLLFD = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(POLLFD_SIZE).order(ByteOrder.nativeOrder()));

    private Posix() {
    }

    /** open(2) with mode 0600 for O_CREAT. */
    public static int open(String path, int flags) throws ErrnoException {
        return open(path, flags, 0600);
    }

    /** open(2). */
    public static int open(String path, int flags, int mode) throws ErrnoException {
        byte[] cPath = cString(path);
        while (true) {
            try {
                return LibC.open(cPath, flags, mode);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw new ErrnoException("open", path, e.getErrorCode());
                }
            }
        }
    }

    /** {@code text} in UTF-8 with a terminating NUL. */
    private static byte[] cString(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, c, 0, utf8.length);
        return c;
    }

    /** close(2). EINTR is not retried: on Linux the fd is gone either way. */
    public static void close(int fd) throws ErrnoException {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Errno.EINTR) {
                throw new ErrnoException("close", "fd " + fd, e.getErrorCode());
            }
        }
    }

    /** read(2) into {@code dst}'s remaining bytes. @return the bytes read; 0 at end of file (or nothing pending) */
    public static int read(int fd, ByteBuffer dst) throws ErrnoException {
        return transfer(READ, fd, dst, 0);
    }

    /** write(2) from {@code src}'s remaining bytes, once. @return the bytes written */
    public static int write(int fd, ByteBuffer src) throws ErrnoException {
        return transfer(WRITE, fd, src, 0);
    }

    /** pread(2) into {@code dst}'s remaining bytes at {@code offset}, once. @return the bytes read; 0 at end of file */
    public static int pread(int fd, ByteBuffer dst, long offset) throws ErrnoException {
        return transfer(PREAD, fd, dst, offset);
    }

    /** pwrite(2) from {@code src}'s remaining bytes at {@code offset}, once. @return the bytes written */
    public static int pwrite(int fd, ByteBuffer src, long offset) throws ErrnoException {
        return transfer(PWRITE, fd, src, offset);
    }

    private static final int READ = 0;
    private static final int WRITE = 1;
    private static final int PREAD = 2;
    private static final int PWRITE = 3;
    private static final String[] TRANSFER_NAMES = {"read", "write", "pread", "pwrite"};

    // One path for the four data calls: a buffer at position 0 goes to JNA as is (no allocation); otherwise
    // its address plus position is passed.
    private static int transfer(int op, int fd, ByteBuffer b, long offset) throws ErrnoException {
        if (!b.isDirect()) {
            throw new IllegalArgumentException("native I/O needs a direct ByteBuffer");
        }
        int pos = b.position();
        long count = b.remaining();
        while (true) {
            try {
                long n = pos == 0 ? transferBuffer(op, fd, b, count, offset)
                        : transferAddress(op, fd, Pointer.nativeValue(Native.getDirectBufferPointer(b)) + pos, count,
                                offset);
                b.position(pos + (int) n);
                return (int) n;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Errno.EINTR) {
                    throw new ErrnoException(TRANSFER_NAMES[op], "fd " + fd, e.getErrorCode());
                }
            }
        }
    }

    private static long transferBuffer(int op, int fd, ByteBuffer b, long count, long offset) {
        return switch (op) {
            case READ -> LibC.read(fd, b, count);
            case WRITE -> LibC.write(fd, b, count);
            case PREAD -> LibC.pread(fd, b, count, offset);
            default -> LibC.pwrite(fd, b, count, offset);
        };
    }

    private static long transferAddress(int op, int fd, long address, long count, long offset) {
        return switch (op) {
            case READ -> LibC.read(fd, address, count);
            case WRITE -> LibC.write(fd, address, count);
            case PREAD -> LibC.pread(fd, address, count, offset);
            default -> LibC.pwrite(fd, address, count, offset);
        };
    }

    /** pwrite(2)s all of {@code src} at {@code offset}, looping over short writes. */
    public static void pwriteFully(int fd, ByteBuffer src, long offset) throws ErrnoException {
        long at = offset;
        while (src.hasRemaining()) {
            int n = pwrite(fd, src, at);
            if (n == 0) {
                throw new ErrnoException("pwrite", "fd " + fd + " wrote nothing at " + at, Errno.EIO);
            }
            at += n;
        }
    }

    /**
     * poll(2) one fd.
     *
     * @param timeoutMillis -1 waits forever, 0 returns at once
     * @return the revents (0 on timeout or when a signal interrupted the wait)
     */
    public static int poll(int fd, short events, int timeoutMillis) throws ErrnoException {
        ByteBuffer pollfd = POLLFD.get();
        pollfd.putInt(0, fd).putShort(4, events).putShort(6, (short) 0);
        try {
            int ready = LibC.poll(pollfd, 1, timeoutMillis);
            return ready == 0 ? 0 : pollfd.getShort(6) & 0xffff;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.EINTR) {
                return 0;
            }
            throw new ErrnoException("poll", "fd " + fd, e.getErrorCode());
        }
    }

    /** ioctl(2) whose argument is an integer passed by value (as CACHEFILES_IOC_READ_COMPLETE takes msg_id). */
    public static int ioctl(int fd, int request, int arg) throws ErrnoException {
        try {
            return LibC.ioctl(fd, Integer.toUnsignedLong(request), Integer.toUnsignedLong(arg));
        } catch (LastErrorException e) {
            throw new ErrnoException("ioctl", "fd " + fd + ", 0x" + Integer.toHexString(request), e.getErrorCode());
        }
    }

    /** fallocate(2). */
    public static void fallocate(int fd, int mode, long offset, long length) throws ErrnoException {
        try {
            LibC.fallocate(fd, mode, offset, length);
        } catch (LastErrorException e) {
            throw new ErrnoException("fallocate", "fd " + fd, e.getErrorCode());
        }
    }

    /** ftruncate(2). */
    public static void ftruncate(int fd, long length) throws ErrnoException {
        try {
            LibC.ftruncate(fd, length);
        } catch (LastErrorException e) {
            throw new ErrnoException("ftruncate", "fd " + fd, e.getErrorCode());
        }
    }

    /** lseek(2). */
    public static long lseek(int fd, long offset, int whence) throws ErrnoException {
        try {
            return LibC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            throw new ErrnoException("lseek", "fd " + fd, e.getErrorCode());
        }
    }

    /** lseek(SEEK_DATA): the first offset ≥ {@code offset} holding data, or -1 if none (ENXIO). */
    public static long seekData(int fd, long offset) throws ErrnoException {
        return seekOrEnd(fd, offset, SEEK_DATA);
    }

    /** lseek(SEEK_HOLE): the first offset ≥ {@code offset} in a hole (the file's end counts), or -1 past the end. */
    public static long seekHole(int fd, long offset) throws ErrnoException {
        return seekOrEnd(fd, offset, SEEK_HOLE);
    }

    private static long seekOrEnd(int fd, long offset, int whence) throws ErrnoException {
        try {
            return LibC.lseek(fd, offset, whence);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Errno.ENXIO) {
                return -1;
            }
            throw new ErrnoException(whence == SEEK_DATA ? "lseek(SEEK_DATA)" : "lseek(SEEK_HOLE)", "fd " + fd,
                    e.getErrorCode());
        }
    }

    /** Whether {@code fd} is an open file descriptor of this process (fcntl F_GETFD). */
    public static boolean isOpen(int fd) {
        try {
            LibC.fcntl(fd, F_GETFD, 0);
            return true;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /** Sets FD_CLOEXEC on {@code fd}, keeping its other descriptor flags (fcntl F_GETFD / F_SETFD). */
    public static void setCloseOnExec(int fd) throws ErrnoException {
        try {
            int flags = LibC.fcntl(fd, F_GETFD, 0);
            if ((flags & FD_CLOEXEC) == 0) {
                LibC.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
            }
        } catch (LastErrorException e) {
            throw new ErrnoException("fcntl(F_SETFD, FD_CLOEXEC)", "fd " + fd, e.getErrorCode());
        }
    }

    /** A close-on-exec duplicate of {@code fd}. */
    public static int dup(int fd) throws ErrnoException {
        try {
            return LibC.fcntl(fd, F_DUPFD_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new ErrnoException("fcntl(F_DUPFD_CLOEXEC)", "fd " + fd, e.getErrorCode());
        }
    }

    /** unshare(2) flag: this thread gets its own root, current directory and umask. */
    public static final int CLONE_FS = 0x00000200;

    /**
     * unshare(CLONE_FS) for the calling thread: a later {@link #chdir} moves this thread only, not the process.
     * cachefiles' {@code cull} and {@code inuse} commands name a file in the writing thread's current directory.
     */
    public static void unshareFs() throws ErrnoException {
        try {
            LibC.unshare(CLONE_FS);
        } catch (LastErrorException e) {
            throw new ErrnoException("unshare", "CLONE_FS", e.getErrorCode());
        }
    }

    /** chdir(2) of the calling thread (of the process, unless {@link #unshareFs} came first). */
    public static void chdir(String path) throws ErrnoException {
        try {
            LibC.chdir(cString(path));
        } catch (LastErrorException e) {
            throw new ErrnoException("chdir", path, e.getErrorCode());
        }
    }

    /** pipe2(2) with O_CLOEXEC plus {@code flags}. @return {read end, write end} */
    public static int[] pipe(int flags) throws ErrnoException {
        int[] fds = new int[2];
        try {
            LibC.pipe2(fds, flags | O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new ErrnoException("pipe2", null, e.getErrorCode());
        }
        return fds;
    }

    /** sysconf(_SC_PAGESIZE); 4096 if the call fails. */
    public static int pageSize() {
        long page = LibC.sysconf(SC_PAGESIZE);
        return page > 0 && page <= (1 << 30) ? (int) page : 4096;
    }
}
