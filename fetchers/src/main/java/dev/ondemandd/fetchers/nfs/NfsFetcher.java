package dev.ondemandd.fetchers.nfs;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.NfsFile;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Reads blobs on an NFSv4 export straight from userspace through libnfs, no kernel mount:
 * {@code nfs://server[:port]/export/path/blob} (port 2049 when absent). A libnfs context serves one thread at
 * a time, so each blob keeps a small pool of sessions (context + open file), at most the source's
 * {@code maxConcurrency}. The size and mtime are pinned at open; a session that finds them changed, or a
 * read that comes back short, refuses the blob (ESTALE) instead of mixing old and new bytes.
 *
 * <p>libnfs calls block the calling thread (a virtual thread is pinned for their duration); each RPC is
 * bounded by the source's request timeout, rounded up to whole seconds as libnfs 4.0.0 wants.
 */
public final class NfsFetcher implements Fetcher {

    public static final int DEFAULT_PORT = 2049;
    private static final long S_IFMT = 0170000;
    private static final long S_IFREG = 0100000;
    private static final int ETIMEDOUT = 110;
    private static final int ECONNREFUSED = 111;
    private static final int ECONNRESET = 104;
    private static final int ENOTCONN = 107;
    private static final int EAGAIN = 11;
    private static final int EPIPE = 32;
    private static final int EPERM = 1;
    private static final int ENOTDIR = 20;
    private static final int EISDIR = 21;

    private final int timeoutSeconds;
    private final int maxSessions;
    private final long waitNanos;

    public NfsFetcher(SourceOptions options) {
        this.timeoutSeconds = (int) Math.max(1, (options.requestTimeout().toMillis() + 999) / 1000);
        this.maxSessions = options.maxConcurrency();
        this.waitNanos = options.requestTimeout().toNanos();
    }

    @Override
    public Set<String> schemes() {
        return Set.of("nfs");
    }

    /** The parts of an {@code nfs://} URL. */
    record Location(String host, int port, String path) {
        static Location parse(URI uri) throws FetchException {
            if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("nfs") || uri.getHost() == null
                    || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                throw new FetchException("want nfs://server[:port]/export/path: " + uri, FetchException.EINVAL, false);
            }
            String path = uri.getPath();
            if (path == null || path.length() < 2 || path.endsWith("/") || path.contains("/../") || path.endsWith("/..")
                    || path.contains("/./") || path.indexOf('\0') >= 0) {
                throw new FetchException("bad NFS path in " + uri, FetchException.EINVAL, false);
            }
            return new Location(uri.getHost(), uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), path);
        }

        @Override
        public String toString() {
            return "nfs://" + host + ":" + port + path;
        }
    }

    @Override
    public Blob open(URI uri) throws FetchException {
        Location at = Location.parse(uri);
        NfsFile first = session(at);
        try {
            NfsFile.Stat stat = stat(first, at);
            if ((stat.mode() & S_IFMT) != S_IFREG) {
                throw new FetchException(at + " is not a regular file", FetchException.EACCES, false);
            }
            return new NfsBlob(at, stat, first);
        } catch (FetchException e) {
            first.close();
            throw e;
        }
    }

    private NfsFile session(Location at) throws FetchException {
        try {
            return NfsFile.open(at.host(), at.port(), at.path(), timeoutSeconds);
        } catch (ErrnoException e) {
            throw mapped(e);
        } catch (UnsatisfiedLinkError e) {
            throw new FetchException("libnfs (" + e.getMessage() + ") is missing: apt-get install libnfs13",
                    FetchException.EIO, false);
        }
    }

    private static NfsFile.Stat stat(NfsFile f, Location at) throws FetchException {
        try {
            return f.stat();
        } catch (ErrnoException e) {
            throw mapped(e);
        }
    }

    static FetchException mapped(ErrnoException e) {
        int errno = e.errno();
        return switch (errno) {
            case FetchException.ENOENT -> new FetchException(e.getMessage(), FetchException.ENOENT, false, e);
            case FetchException.EACCES, EPERM -> new FetchException(e.getMessage(), FetchException.EACCES, false, e);
            case FetchException.ESTALE -> new FetchException(e.getMessage(), FetchException.ESTALE, false, e);
            case ETIMEDOUT, ECONNREFUSED, ECONNRESET, ENOTCONN, EAGAIN, EPIPE, FetchException.EIO ->
                    new FetchException(e.getMessage(), FetchException.EIO, true, e);
            case FetchException.EINVAL, EISDIR, ENOTDIR -> new FetchException(e.getMessage(), FetchException.EIO, false, e);
            // Anything else (NFS4ERR_EXPIRED arrives as ERANGE, for one) broke only this session, which is dropped.
            default -> new FetchException(e.getMessage(), FetchException.EIO, true, e);
        };
    }

    private final class NfsBlob implements Blob {
        private final Location at;
        private final NfsFile.Stat pinned;
        private final LinkedBlockingQueue<NfsFile> idle = new LinkedBlockingQueue<>();
        /** Sessions that may still be opened; a permit returns when a broken session is closed. */
        private final Semaphore openable = new Semaphore(maxSessions - 1);
        private volatile String refused;
        private volatile boolean closed;

        NfsBlob(Location at, NfsFile.Stat pinned, NfsFile first) {
            this.at = at;
            this.pinned = pinned;
            idle.add(first);
        }

        @Override
        public long size() {
            return pinned.size();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws FetchException {
            int length = dst.remaining();
            Objects.checkFromIndexSize(offset, length, pinned.size());
            if (refused != null) {
                throw new FetchException(refused, FetchException.ESTALE, false);
            }
            if (length == 0) {
                return;
            }
            NfsFile s = acquire();
            boolean healthy = false;
            try {
                ByteBuffer target = dst.slice();
                int n = s.read(offset, target);
                NfsFile.Stat now = s.stat();
                if (!unchanged(now) || n != length) {
                    refused = at + " changed while served (size " + pinned.size() + " -> " + now.size()
                            + ", mtime " + pinned.mtimeSeconds() + "." + pinned.mtimeNanos() + " -> "
                            + now.mtimeSeconds() + "." + now.mtimeNanos() + "); refusing it";
                    throw new FetchException(refused, FetchException.ESTALE, false);
                }
                healthy = true;
                dst.position(dst.limit());
            } catch (ErrnoException e) {
                throw mapped(e);
            } finally {
                release(s, healthy);
            }
        }

        private boolean unchanged(NfsFile.Stat now) {
            return now.size() == pinned.size() && now.mtimeSeconds() == pinned.mtimeSeconds()
                    && now.mtimeNanos() == pinned.mtimeNanos();
        }

        private NfsFile acquire() throws FetchException {
            NfsFile s = idle.poll();
            if (s != null) {
                return s;
            }
            if (openable.tryAcquire()) {
                try {
                    NfsFile fresh = session(at);
                    if (!unchanged(stat(fresh, at))) {
                        fresh.close();
                        openable.release();
                        refused = at + " changed since it was opened; refusing it";
                        throw new FetchException(refused, FetchException.ESTALE, false);
                    }
                    return fresh;
                } catch (FetchException e) {
                    if (e.errno() != FetchException.ESTALE) {
                        openable.release();
                    }
                    throw e;
                }
            }
            try {
                s = idle.poll(waitNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FetchException("interrupted waiting for an NFS session to " + at, FetchException.EIO, false, e);
            }
            if (s == null) {
                throw new FetchException("all " + maxSessions + " NFS sessions to " + at + " busy", FetchException.EIO, true);
            }
            return s;
        }

        private void release(NfsFile s, boolean healthy) {
            if (healthy && !closed) {
                idle.add(s);
                if (closed && idle.remove(s)) {
                    s.close();
                }
            } else {
                s.close();
                openable.release();
            }
        }

        @Override
        public String describe() {
            return at.toString();
        }

        @Override
        public void close() {
            closed = true;
            for (NfsFile s; (s = idle.poll()) != null; ) {
                s.close();
            }
        }
    }
}
