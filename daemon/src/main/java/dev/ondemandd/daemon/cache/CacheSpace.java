package dev.ondemandd.daemon.cache;

import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether a cache directory has room for fills. A write refused for want of space (ENOSPC, EDQUOT; for cachefiles
 * also ENOBUFS, the kernel's refusal below {@code bstop}) logs one ERROR line that says what to do, at most once a
 * minute; the next write that succeeds after it logs one INFO line that space is back. A disk at the
 * edge of full flaps between the two (a failed write gives its blocks back); fills that fail meanwhile reach their
 * readers as EIO without another line, so a full disk does not flood the log.
 */
public final class CacheSpace {
    private static final System.Logger LOG = System.getLogger(CacheSpace.class.getName());
    private static final ConcurrentHashMap<Path, CacheSpace> BY_DIR = new ConcurrentHashMap<>();

    /** The shortest time between two ERROR lines about one directory. */
    static final long REPEAT_AFTER_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);

    private final Path dir;
    private final String remedy;
    private final AtomicBoolean full = new AtomicBoolean();
    /** Whether an ERROR line was logged that no INFO line answered yet. Guarded by this. */
    private boolean reported;
    /** When the last ERROR line was logged. Guarded by this. */
    private long reportedAt;

    private CacheSpace(Path dir, String remedy) {
        this.dir = dir;
        this.remedy = remedy;
    }

    /** The one state of {@code dir}'s space, shared by every file filled there. */
    public static CacheSpace of(Path dir, String remedy) {
        return BY_DIR.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> new CacheSpace(d, remedy));
    }

    /** Whether the last write was refused for want of space. */
    public boolean isFull() {
        return full.get();
    }

    /** A write succeeded: space is there (again). Allocation-free while it was not full. */
    public void wrote() {
        if (full.get() && full.compareAndSet(true, false)) {
            synchronized (this) {
                if (!reported) {
                    return;
                }
                reported = false;
            }
            LOG.log(Level.INFO, "cache " + dir + " has room again; fills go on");
        }
    }

    /**
     * A write failed: when for want of space, the error becomes one that says so (logged once per episode);
     * any other error is returned as it is.
     */
    public IOException refused(ErrnoException e, String file) {
        int errno = e.errno();
        if (errno != Errno.ENOSPC && errno != Errno.EDQUOT && errno != Errno.ENOBUFS) {
            return e;
        }
        String what = "cache " + dir + " is full (" + Errno.name(errno) + ")";
        if (full.compareAndSet(false, true)) {
            boolean log;
            synchronized (this) {
                long now = System.nanoTime();
                log = reportedAt == 0 || now - reportedAt >= REPEAT_AFTER_NANOS;
                if (log) {
                    reported = true;
                    reportedAt = now;
                }
            }
            if (log) {
                LOG.log(Level.ERROR, what + ": readers of data not cached yet get EIO until there is room; " + remedy);
            }
        }
        return new ErrnoException(what + " writing " + file, errno);
    }
}
