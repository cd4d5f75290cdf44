package dev.ondemandd.protocol.nativeio;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One file on an NFSv4 export opened read-only through libnfs, on its own libnfs context (a context is not
 * thread-safe: use one {@code NfsFile} per thread at a time, a pool for more). No kernel mount is involved.
 *
 * <p>Reads are split into calls of at most {@link #MAX_PREAD} bytes: libnfs 4.0.0 fails a single NFSv4 read
 * of 2 MiB or more.
 */
public final class NfsFile implements AutoCloseable {

    /** Largest single nfs_pread (measured: one of 2 MiB fails over v4 with libnfs 4.0.0). */
    public static final int MAX_PREAD = 1024 * 1024;
    private static final int NFS_V4 = 4;
    private static final int O_RDONLY = 0;
    private static final int MILLIS_PER_SECOND = 1000;
    private static final java.util.concurrent.atomic.AtomicLong CLIENTS = new java.util.concurrent.atomic.AtomicLong();

    /** What {@code fstat} says of the file. */
    public record Stat(long size, long mtimeSeconds, long mtimeNanos, long inode, long mode) {
    }

    private final String describe;
    private Pointer context;
    private Pointer handle;
    private Memory bounce;

    private NfsFile(String describe, Pointer context, Pointer handle) {
        this.describe = describe;
        this.context = context;
        this.handle = handle;
    }

    /**
     * Mounts the directory of {@code file} on {@code server} (NFSv4 only, no portmapper) and opens it.
     *
     * @param server host name or address
     * @param port the NFS server's TCP port
     * @param file absolute path in the server's NFSv4 namespace, e.g. {@code /export/images/blob}
     * @param timeoutSeconds bound on every RPC (libnfs 4.0.0 counts whole seconds)
     * @throws ErrnoException with the errno libnfs returned and its error text
     */
    public static NfsFile open(String server, int port, String file, int timeoutSeconds) throws ErrnoException {
        Objects.requireNonNull(server, "server");
        if (port <= 0 || port > 65535 || timeoutSeconds <= 0 || !file.startsWith("/") || file.endsWith("/")
                || file.indexOf('\0') >= 0 || file.indexOf('?') >= 0 || file.indexOf('#') >= 0
                || server.isEmpty() || server.indexOf('/') >= 0 || server.indexOf(':') >= 0) {
            throw new ErrnoException("nfs open(" + server + ":" + port + file + "): bad arguments", ErrnoException.EINVAL);
        }
        String describe = "nfs://" + server + ":" + port + file;
        Pointer ctx = LibNfs.nfs_init_context();
        if (ctx == null) {
            throw new ErrnoException("nfs_init_context", ErrnoException.EIO);
        }
        boolean ok = false;
        try {
            LibNfs.nfs_set_timeout(ctx, Math.multiplyExact(timeoutSeconds, MILLIS_PER_SECOND));
            // Fail fast on a dropped session; the caller's pool opens a new one and its retry decides.
            LibNfs.nfs_set_autoreconnect(ctx, 0);
            // Each context is its own NFSv4 client: a shared owner would let one session expire the others.
            LibNfs.nfs4_set_client_name(ctx, "ondemandd-" + ProcessHandle.current().pid() + "-"
                    + CLIENTS.incrementAndGet() + "-" + Long.toHexString(System.nanoTime()));
            check(ctx, LibNfs.nfs_set_version(ctx, NFS_V4), "nfs_set_version", describe);
            // libnfs 4.0.0 has no setter for the NFS port: the URL's options set it (and the version) on the context.
            String url = "nfs://" + server + file + "?version=4&nfsport=" + port;
            Pointer parsed = LibNfs.nfs_parse_url_full(ctx, url);
            if (parsed == null) {
                check(ctx, -ErrnoException.EINVAL, "nfs_parse_url_full", describe);
            }
            PointerByReference fh = new PointerByReference();
            try {
                String host = parsed.getPointer(LibNfs.URL_SERVER).getString(0);
                String dir = parsed.getPointer(LibNfs.URL_PATH).getString(0);
                String name = parsed.getPointer(LibNfs.URL_FILE).getString(0);
                check(ctx, LibNfs.nfs_mount(ctx, host, dir.isEmpty() ? "/" : dir), "nfs_mount", describe);
                check(ctx, LibNfs.nfs_open(ctx, name, O_RDONLY, fh), "nfs_open", describe);
            } finally {
                LibNfs.nfs_destroy_url(parsed);
            }
            ok = true;
            return new NfsFile(describe, ctx, fh.getValue());
        } finally {
            if (!ok) {
                LibNfs.nfs_destroy_context(ctx);
            }
        }
    }

    private static void check(Pointer ctx, int rc, String call, String subject) throws ErrnoException {
        if (rc < 0) {
            String text = LibNfs.nfs_get_error(ctx);
            throw new ErrnoException(call + "(" + subject + ")" + (text == null ? "" : " [" + text + "]"), -rc);
        }
    }

    /** The file's attributes now (one GETATTR). */
    public synchronized Stat stat() throws ErrnoException {
        ensureOpen();
        try (Memory st = new Memory(LibNfs.STAT64_SIZE)) {
            st.clear();
            check(context, LibNfs.nfs_fstat64(context, handle, st), "nfs_fstat64", describe);
            return new Stat(st.getLong(LibNfs.STAT64_SIZE_OFFSET), st.getLong(LibNfs.STAT64_MTIME),
                    st.getLong(LibNfs.STAT64_MTIME_NSEC), st.getLong(LibNfs.STAT64_INO), st.getLong(LibNfs.STAT64_MODE));
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code offset} into {@code dst} in calls of at most
     * {@link #MAX_PREAD}, advancing its position; stops early only at end of file.
     *
     * @return the bytes read (fewer than asked only at end of file)
     */
    public synchronized int read(long offset, ByteBuffer dst) throws ErrnoException {
        ensureOpen();
        int total = 0;
        while (dst.hasRemaining()) {
            if (Thread.currentThread().isInterrupted()) {
                // A native call cannot be interrupted, but the next one need not start: the caller gave up.
                throw new ErrnoException("nfs_pread(" + describe + ") interrupted", Errno.EINTR);
            }
            int count = Math.min(dst.remaining(), MAX_PREAD);
            int n;
            if (dst.isDirect()) {
                Pointer at = Native.getDirectBufferPointer(dst).share(dst.position());
                n = LibNfs.nfs_pread(context, handle, offset + total, count, at);
                check(context, n, "nfs_pread", describe);
                if (n > count) {
                    throw new ErrnoException("nfs_pread(" + describe + ") returned more than asked", ErrnoException.EIO);
                }
                dst.position(dst.position() + n);
            } else {
                if (bounce == null) {
                    bounce = new Memory(MAX_PREAD);
                }
                n = LibNfs.nfs_pread(context, handle, offset + total, count, bounce);
                check(context, n, "nfs_pread", describe);
                if (n > count) {
                    throw new ErrnoException("nfs_pread(" + describe + ") returned more than asked", ErrnoException.EIO);
                }
                dst.put(bounce.getByteBuffer(0, n));
            }
            if (n == 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private void ensureOpen() throws ErrnoException {
        if (context == null) {
            throw new ErrnoException("nfs(" + describe + ") is closed", ErrnoException.EINVAL);
        }
    }

    @Override
    public synchronized void close() {
        if (context == null) {
            return;
        }
        LibNfs.nfs_close(context, handle);
        LibNfs.nfs_destroy_context(context);
        context = null;
        handle = null;
        if (bounce != null) {
            bounce.close();
            bounce = null;
        }
    }

    @Override
    public String toString() {
        return describe;
    }
}
