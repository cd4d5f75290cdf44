package dev.ondemandd.protocol.nativeio;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/**
 * Raw libnfs signatures (Debian libnfs13, libnfs 4.0.0, bound by soname {@code libnfs.so.13}), JNA direct
 * mapping. Nothing outside this package sees this class; {@link NfsFile} is the Java face.
 *
 * <p>The synchronous calls return 0 (or a byte count) on success and {@code -errno} on failure, with a text
 * in {@link #nfs_get_error}. A context is not thread-safe: one thread at a time per context.
 */
final class LibNfs {

    /** The soname Debian bookworm ships (libnfs 4.0.0); its nfs_pread takes (offset, count, buf). */
    static final String SONAME = "libnfs.so.13";

    /**
     * {@code struct nfs_stat_64}: seventeen {@code uint64_t}: dev, ino, mode, nlink, uid, gid, rdev, size,
     * blksize, blocks, atime, mtime, ctime, atime_nsec, mtime_nsec, ctime_nsec, used.
     */
    static final int STAT64_SIZE = 17 * Long.BYTES;
    static final int STAT64_INO = 1 * Long.BYTES;
    static final int STAT64_MODE = 2 * Long.BYTES;
    static final int STAT64_SIZE_OFFSET = 7 * Long.BYTES;
    static final int STAT64_MTIME = 11 * Long.BYTES;
    static final int STAT64_MTIME_NSEC = 14 * Long.BYTES;
    /** {@code struct nfs_url { char *server; char *path; char *file; }} */
    static final int URL_SERVER = 0;
    static final int URL_PATH = Native.POINTER_SIZE;
    static final int URL_FILE = 2 * Native.POINTER_SIZE;

    static {
        Native.register(LibNfs.class, NativeLibrary.getInstance(SONAME));
    }

    private LibNfs() {
    }

    /** struct nfs_context *nfs_init_context(void); NULL on failure. */
    static native Pointer nfs_init_context();

    /** void nfs_destroy_context(struct nfs_context *nfs); */
    static native void nfs_destroy_context(Pointer nfs);

    /** char *nfs_get_error(struct nfs_context *nfs); owned by the context. */
    static native String nfs_get_error(Pointer nfs);

    /** int nfs_set_version(struct nfs_context *nfs, int version); */
    static native int nfs_set_version(Pointer nfs, int version);

    /** void nfs_set_timeout(struct nfs_context *nfs, int milliseconds); whole seconds only in 4.0.0. */
    static native void nfs_set_timeout(Pointer nfs, int milliseconds);

    /**
     * void nfs4_set_client_name(struct nfs_context *nfs, const char *id); the NFSv4 client owner. Two contexts
     * with the same owner make the server expire the first one's state (NFS4ERR_EXPIRED).
     */
    static native void nfs4_set_client_name(Pointer nfs, String id);

    /** void nfs_set_autoreconnect(struct nfs_context *nfs, int num_retries); */
    static native void nfs_set_autoreconnect(Pointer nfs, int retries);

    /**
     * struct nfs_url *nfs_parse_url_full(struct nfs_context *nfs, const char *url); also applies the URL's
     * options (version=, nfsport=) to the context. NULL on failure.
     */
    static native Pointer nfs_parse_url_full(Pointer nfs, String url);

    /** void nfs_destroy_url(struct nfs_url *url); */
    static native void nfs_destroy_url(Pointer url);

    /** int nfs_mount(struct nfs_context *nfs, const char *server, const char *exportname); */
    static native int nfs_mount(Pointer nfs, String server, String exportname);

    /** int nfs_stat64(struct nfs_context *nfs, const char *path, struct nfs_stat_64 *st); */
    static native int nfs_stat64(Pointer nfs, String path, Pointer st);

    /** int nfs_fstat64(struct nfs_context *nfs, struct nfsfh *nfsfh, struct nfs_stat_64 *st); */
    static native int nfs_fstat64(Pointer nfs, Pointer fh, Pointer st);

    /** int nfs_open(struct nfs_context *nfs, const char *path, int flags, struct nfsfh **nfsfh); */
    static native int nfs_open(Pointer nfs, String path, int flags, PointerByReference fh);

    /** int nfs_pread(struct nfs_context *nfs, struct nfsfh *nfsfh, uint64_t offset, uint64_t count, void *buf); */
    static native int nfs_pread(Pointer nfs, Pointer fh, long offset, long count, Pointer buf);

    /** int nfs_close(struct nfs_context *nfs, struct nfsfh *nfsfh); */
    static native int nfs_close(Pointer nfs, Pointer fh);
}
