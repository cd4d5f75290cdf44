package dev.ondemandd.protocol.nativeio;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned file descriptor: the {@link Posix} calls on it, and a {@link #close()} that closes it exactly once.
 * After close every call fails with EBADF instead of touching a number the kernel may have handed out again.
 */
public final class NativeFile implements AutoCloseable {

    private final AtomicInteger fd;
    private final String name;

    private NativeFile(int fd, String name) {
        this.fd = new AtomicInteger(fd);
        this.name = name;
    }

    /** Opens {@code path} with {@code flags} (O_CLOEXEC is always added) and mode 0600 for O_CREAT. */
    public static NativeFile open(String path, int flags) throws ErrnoException {
        return new NativeFile(Posix.open(path, flags | Posix.O_CLOEXEC), path);
    }

    /** Takes ownership of an fd this process already holds. */
    public static NativeFile adopt(int fd, String name) throws ErrnoException {
        if (!Posix.isOpen(fd)) {
            throw new ErrnoException("adopt", name + " fd " + fd, Errno.EBADF);
        }
        return new NativeFile(fd, name);
    }

    /** The fd, or -1 once closed. */
    public int fd() {
        return fd.get();
    }

    /** What this fd was opened as, for messages. */
    public String name() {
        return name;
    }

    public int read(ByteBuffer dst) throws ErrnoException {
        return Posix.read(live(), dst);
    }

    public int write(ByteBuffer src) throws ErrnoException {
        return Posix.write(live(), src);
    }

    public int pread(ByteBuffer dst, long offset) throws ErrnoException {
        return Posix.pread(live(), dst, offset);
    }

    public void pwriteFully(ByteBuffer src, long offset) throws ErrnoException {
        Posix.pwriteFully(live(), src, offset);
    }

    /** @see Posix#poll */
    public int poll(short events, int timeoutMillis) throws ErrnoException {
        return Posix.poll(live(), events, timeoutMillis);
    }

    public int ioctl(int request, int arg) throws ErrnoException {
        return Posix.ioctl(live(), request, arg);
    }

    public void fallocate(int mode, long offset, long length) throws ErrnoException {
        Posix.fallocate(live(), mode, offset, length);
    }

    public void truncate(long length) throws ErrnoException {
        Posix.ftruncate(live(), length);
    }

    /** @see Posix#seekData */
    public long seekData(long offset) throws ErrnoException {
        return Posix.seekData(live(), offset);
    }

    /** @see Posix#seekHole */
    public long seekHole(long offset) throws ErrnoException {
        return Posix.seekHole(live(), offset);
    }

    /** The file's size (lseek SEEK_END). */
    public long size() throws ErrnoException {
        return Posix.lseek(live(), 0, Posix.SEEK_END);
    }

    private int live() throws ErrnoException {
        int n = fd.get();
        if (n < 0) {
            throw new ErrnoException(name + " is closed", Errno.EBADF);
        }
        return n;
    }

    /** Closes the fd the first time; later calls do nothing. */
    @Override
    public void close() throws ErrnoException {
        int n = fd.getAndSet(-1);
        if (n >= 0) {
            Posix.close(n);
        }
    }

    @Override
    public String toString() {
        return name + "[fd " + fd.get() + "]";
    }
}
