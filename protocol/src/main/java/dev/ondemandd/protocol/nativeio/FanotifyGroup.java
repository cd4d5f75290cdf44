package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.ondemandd.protocol.fanotify.Fanotify;
import dev.ondemandd.protocol.fanotify.FanotifyResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fanotify group of class FAN_CLASS_PRE_CONTENT: marks files, reads their events, answers them.
 *
 * <p>Events are read by one thread ({@link #await}, {@link #read}); {@link #respond} may be called from any
 * thread. Closing the group makes the kernel <em>allow</em> every event still pending, so readers would see
 * the zeros of unfilled holes: unmount first, or hand the fd to a holder ({@link #fd()}).
 */
public final class FanotifyGroup implements AutoCloseable {
    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ReentrantLock responseLock = new ReentrantLock();
    private final ByteBuffer response = ByteBuffer.allocateDirect(Fanotify.RESPONSE_LEN).order(ByteOrder.nativeOrder());

    private FanotifyGroup(int fd) {
        this.fd = fd;
    }

    /**
     * fanotify_init(FAN_CLASS_PRE_CONTENT | FAN_CLOEXEC, O_RDWR | O_LARGEFILE): event fds are opened read-write
     * so the daemon can fill the file through them.
     *
     * @throws ErrnoException EPERM without CAP_SYS_ADMIN; EINVAL where the kernel lacks pre-content events
     */
    public static FanotifyGroup open() throws IOException {
        try {
            return new FanotifyGroup(FanotifyNative.fanotify_init(Fanotify.FAN_CLASS_PRE_CONTENT | Fanotify.FAN_CLOEXEC,
                    Posix.O_RDWR | FanotifyNative.O_LARGEFILE));
        } catch (LastErrorException e) {
            String hint = switch (e.getErrorCode()) {
                case ErrnoException.EPERM -> " (needs CAP_SYS_ADMIN: run as root)";
                case ErrnoException.EINVAL, ErrnoException.ENOSYS ->
                        " (kernel lacks fanotify pre-content events: needs Linux 6.14+ with"
                                + " CONFIG_FANOTIFY_ACCESS_PERMISSIONS)";
                default -> "";
            };
            throw new ErrnoException("fanotify_init(FAN_CLASS_PRE_CONTENT)" + hint, e.getErrorCode());
        }
    }

    /** Takes over a group fd opened earlier (by a previous run, kept in systemd's fd store). */
    public static FanotifyGroup adopt(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("bad fanotify fd " + fd);
        }
        return new FanotifyGroup(fd);
    }

    /** The group's fd, for handing to a holder that keeps it across restarts. */
    public int fd() {
        return fd;
    }

    /**
     * Adds FAN_PRE_ACCESS on {@code file}. Must happen before anything (the mount) opens the file: files opened
     * earlier may not raise events.
     *
     * @throws ErrnoException EINVAL / EOPNOTSUPP when the file's filesystem does not support pre-content events
     */
    public void markPreAccess(Path file) throws IOException {
        mark(Fanotify.FAN_MARK_ADD, file);
    }

    /** Removes the FAN_PRE_ACCESS mark from {@code file}. */
    public void unmark(Path file) throws IOException {
        mark(Fanotify.FAN_MARK_REMOVE, file);
    }

    private void mark(int flags, Path file) throws IOException {
        try {
            FanotifyNative.fanotify_mark(fd, flags, Fanotify.FAN_PRE_ACCESS, FanotifyNative.AT_FDCWD, file.toString());
        } catch (LastErrorException e) {
            String hint = e.getErrorCode() == ErrnoException.EINVAL || e.getErrorCode() == ErrnoException.EOPNOTSUPP
                    ? " (the filesystem may not support pre-content events: use ext4, xfs or btrfs)" : "";
            throw new ErrnoException("fanotify_mark " + file + hint, e.getErrorCode());
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for events.
     *
     * @return true when a {@link #read} will not block
     */
    public boolean await(int timeoutMillis) throws IOException {
        return Posix.poll(fd, Posix.POLLIN, timeoutMillis) != 0;
    }

    /**
     * Reads pending events into {@code dst} (a direct buffer) from its position, advancing it.
     *
     * @return the number of bytes read; 0 when interrupted or when no event is pending on a non-blocking group
     */
    public int read(ByteBuffer dst) throws IOException {
        try {
            return Posix.read(fd, dst);
        } catch (ErrnoException e) {
            if (e.errno() == ErrnoException.EAGAIN) {
                return 0;
            }
            throw e;
        }
    }

    /** Answers the permission event of {@code eventFd} with {@code response} (see {@link FanotifyResponse}). */
    public void respond(int eventFd, int response) throws IOException {
        responseLock.lock();
        try {
            this.response.clear();
            FanotifyResponse.encode(this.response, eventFd, response);
            this.response.flip();
            int n = Posix.write(fd, this.response);
            if (n != Fanotify.RESPONSE_LEN) {
                throw new ErrnoException("write fanotify response for fd " + eventFd + ": short write " + n,
                        ErrnoException.EIO);
            }
        } finally {
            responseLock.unlock();
        }
    }

    /**
     * Answers the permission event whose fd number is {@code eventFd} if one is pending, without owning that fd:
     * after a failover the number was installed in a process that is gone, and the kernel matches a response
     * by the number alone (fs/notify/fanotify/fanotify_user.c, process_access_response). Costs one write(2) and
     * no allocation, so it can probe every number a dead worker may have held.
     *
     * @return true when an event was pending under that number and is now answered; false when none was (ENOENT)
     * @throws ErrnoException for any other failure (EINVAL: a response the kernel does not accept)
     */
    public boolean answerIfPending(int eventFd, int response) throws ErrnoException {
        responseLock.lock();
        try {
            this.response.clear();
            FanotifyResponse.encode(this.response, eventFd, response);
            long n = FailoverNative.write(fd, Pointer.nativeValue(
                    Native.getDirectBufferPointer(this.response)), Fanotify.RESPONSE_LEN);
            if (n == Fanotify.RESPONSE_LEN) {
                return true;
            }
            int errno = Native.getLastError();
            if (n < 0 && errno == ErrnoException.ENOENT) {
                return false;
            }
            throw new ErrnoException("write fanotify response for fd " + eventFd, n < 0 ? errno : ErrnoException.EIO);
        } finally {
            responseLock.unlock();
        }
    }

    /** Closes the group; the kernel allows every event still pending. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed.compareAndSet(false, true)) {
            Posix.close(fd);
        }
    }
}
