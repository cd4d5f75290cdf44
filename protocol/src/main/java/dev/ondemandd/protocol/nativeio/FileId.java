package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Identifies an inode: the device it lives on and its inode number, as statx(2) reports them. Two fds refer to
 * the same file exactly when their ids are equal, whatever path or open flags they came from — which is how a
 * fanotify event fd is matched to the blob it is about.
 */
public record FileId(int devMajor, int devMinor, long ino) {
    /** One statx buffer per thread (the event loop is one platform thread), with its address. */
    private static final ThreadLocal<ByteBuffer> STATX = ThreadLocal.withInitial(
            () -> ByteBuffer.allocateDirect(FanotifyNative.STATX_SIZE).order(ByteOrder.nativeOrder()));

    /** The inode behind {@code fd}. */
    public static FileId of(int fd) throws ErrnoException {
        return statx(fd, "", FanotifyNative.AT_EMPTY_PATH);
    }

    /** The inode at {@code path}, following symlinks. */
    public static FileId of(Path path) throws ErrnoException {
        return statx(FanotifyNative.AT_FDCWD, path.toString(), 0);
    }

    private static FileId statx(int dirfd, String path, int flags) throws ErrnoException {
        ByteBuffer buf = STATX.get();
        try {
            FanotifyNative.statx(dirfd, path, flags, FanotifyNative.STATX_INO,
                    Pointer.nativeValue(Native.getDirectBufferPointer(buf)));
        } catch (LastErrorException e) {
            throw new ErrnoException("statx", path.isEmpty() ? "fd " + dirfd : path, e.getErrorCode());
        }
        return new FileId(buf.getInt(FanotifyNative.STATX_OFF_DEV_MAJOR),
                buf.getInt(FanotifyNative.STATX_OFF_DEV_MINOR), buf.getLong(FanotifyNative.STATX_OFF_INO));
    }

    @Override
    public String toString() {
        return devMajor + ":" + devMinor + ":" + Long.toUnsignedString(ino);
    }
}
