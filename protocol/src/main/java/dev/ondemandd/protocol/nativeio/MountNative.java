package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/** Raw mount(2) / umount2(2). Package-private: {@link Mounts} is the Java face. */
final class MountNative {
    static {
        Native.register(MountNative.class, "c");
    }

    private MountNative() {
    }

    static final long MS_RDONLY = 1;
    static final int MNT_DETACH = 2;
    static final int UMOUNT_NOFOLLOW = 8;

    /**
     * int mount(const char *source, const char *target, const char *filesystemtype, unsigned long mountflags,
     * const void *data).
     */
    static native int mount(String source, String target, String type, long flags, String data)
            throws LastErrorException;

    /** int umount2(const char *target, int flags). */
    static native int umount2(String target, int flags) throws LastErrorException;
}
