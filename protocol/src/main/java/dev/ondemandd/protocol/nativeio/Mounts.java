package dev.ondemandd.protocol.nativeio;

import com.sun.jna.LastErrorException;
import java.nio.file.Path;

/** mount(2) and umount2(2) for EROFS images, with errors that tell an operator what to do. */
public final class Mounts {
    private static final int ENODEV = Errno.ENODEV;

    private Mounts() {
    }

    /**
     * Mounts the EROFS image in the plain file {@code image} read-only on {@code target} (no loop device, so
     * reads of the {@code device=} blobs reach their files and raise fanotify events).
     *
     * @param options mount data, e.g. {@code device=/cache/blob1,device=/cache/blob2}; may be empty
     */
    public static void mountErofs(Path image, Path target, String options) throws ErrnoException {
        mountErofs(image.toString(), target, options);
    }

    /**
     * Mounts an EROFS image served through fscache (cachefiles on-demand mode) read-only on {@code target}; the
     * kernel asks the daemon bound to the cache for the image's bytes while this call runs.
     *
     * @param options mount data with {@code fsid=} and optionally {@code domain_id=}, {@code device=...}
     */
    public static void mountErofsOnDemand(Path target, String options) throws ErrnoException {
        mountErofs("none", target, options);
    }

    private static void mountErofs(String source, Path target, String options) throws ErrnoException {
        try {
            MountNative.mount(source, target.toString(), "erofs", MountNative.MS_RDONLY,
                    options == null || options.isEmpty() ? null : options);
        } catch (LastErrorException e) {
            String hint = switch (e.getErrorCode()) {
                case ErrnoException.ENOENT -> ": the mountpoint, the image or a device= blob does not exist";
                case ErrnoException.EBUSY -> ": the mountpoint is busy (something is already mounted there?)";
                case ErrnoException.ENOTDIR -> ": the mountpoint is not a directory";
                case ErrnoException.EPERM -> ": mounting needs CAP_SYS_ADMIN (run as root)";
                case ENODEV -> ": the kernel has no erofs filesystem (modprobe erofs)";
                case ErrnoException.EINVAL -> ": the image, its device table or the options are invalid (dmesg says which)";
                default -> "";
            };
            throw new ErrnoException("mount erofs " + source + (options == null ? "" : " -o " + options) + " on " + target
                    + hint, e.getErrorCode());
        }
    }

    /**
     * Unmounts {@code target}.
     *
     * @param lazy detach now and clean up when the last user goes away (MNT_DETACH)
     */
    public static void umount(Path target, boolean lazy) throws ErrnoException {
        try {
            MountNative.umount2(target.toString(), MountNative.UMOUNT_NOFOLLOW | (lazy ? MountNative.MNT_DETACH : 0));
        } catch (LastErrorException e) {
            String hint = switch (e.getErrorCode()) {
                case ErrnoException.EBUSY -> ": busy, a process still uses it (fuser -vm " + target
                        + "); close it or unmount lazily";
                case ErrnoException.EINVAL -> ": not a mountpoint";
                case ErrnoException.ENOENT -> ": no such directory";
                case ErrnoException.EPERM -> ": unmounting needs CAP_SYS_ADMIN (run as root)";
                default -> "";
            };
            throw new ErrnoException("umount " + target + hint, e.getErrorCode());
        }
    }
}
