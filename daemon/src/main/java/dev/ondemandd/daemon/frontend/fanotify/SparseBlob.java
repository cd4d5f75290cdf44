package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.daemon.core.CacheTarget;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ReadReply;
import dev.ondemandd.daemon.cache.CacheSpace;
import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.FileId;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One data blob's sparse cache file: the object the fanotify frontend fills.
 *
 * <p>The file is cut into fill units. A unit is filled when every byte of it has been written; what is filled
 * is known from the file itself: every write covers whole pages (the core writes page-aligned ranges, and the
 * last page ends at the end of the file), so SEEK_DATA/SEEK_HOLE tell written pages from holes exactly, and a
 * restart rebuilds the filled map by scanning the file — nothing is fetched twice, and no second record can
 * disagree with the data. A unit being filled is in flight: later events on it wait for that fill instead of
 * fetching again.
 *
 * <p>Writes go through an fd that raises no events — one opened before the file was marked (kept by the fd holder
 * across restarts), else a dup of a fanotify event fd — whereas a write through an fd opened on a marked file
 * would raise one the daemon itself would have to answer.
 */
public final class SparseBlob implements CacheTarget, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SparseBlob.class.getName());

    /** Something waiting for units to be filled: an event, or nothing for a fill-ahead. */
    interface Waiter {
        /** One unit finished: {@code errno} 0 when filled. Called on a fetch thread or the event loop. */
        void unitDone(int errno);
    }

    /** What {@link #claim} found. */
    enum Claim { FILLED, JOINED, STARTED }

    private final Path path;
    private final long size;
    private final int unitSize;
    private final int units;
    private final FileId id;
    private final int seekFd;
    /** Guarded by this. */
    private final long[] filled;
    /**
     * Units that may hold some data but not all (found so by the startup scan; a failed fill is fetched whole): only
     * these need a hole query before a fill. Every other unfilled unit is one hole — which spares the hot path
     * lseek(SEEK_DATA), which waits for the inode lock a concurrent buffered write of another unit holds.
     * Guarded by this.
     */
    private final long[] partial;
    /** Guarded by this. */
    private final UnitFill[] inFlight;
    /** Guarded by this. */
    private int filledUnits;
    private volatile int writerFd = -1;
    /** Called once, on the fetch thread whose fill completed the blob. */
    private volatile Runnable onComplete = () -> { };
    /** The last unit fill-ahead started; read and written by the event loop only. */
    int aheadMark = -1;
    /** Units the last fill-ahead reached past its event (0: the reader is not sequential); event loop only. */
    int aheadWindow;
    /** The most units filled ahead of a reader; -1 for the frontend's own. Set before the blob is added. */
    volatile int fillAhead = -1;
    private volatile ObjectHandle handle;
    /** The cache directory's space (blob files live in {@code <cache>/blobs}). */
    private final CacheSpace space;

    private SparseBlob(Path path, long size, int unitSize, FileId id, int seekFd) {
        this.path = path;
        Path dir = path.toAbsolutePath().getParent();
        this.space = CacheSpace.of(dir.getParent() != null ? dir.getParent() : dir, SPACE_REMEDY);
        this.size = size;
        this.unitSize = unitSize;
        this.units = (int) ((size + unitSize - 1) / unitSize);
        this.id = id;
        this.seekFd = seekFd;
        this.filled = new long[(units + 63) >>> 6];
        this.partial = new long[(units + 63) >>> 6];
        this.inFlight = new UnitFill[units];
    }

    /** What an operator can do when the cache directory is full. */
    static final String SPACE_REMEDY = "free space on its filesystem, or set cache.quota below the space there so"
            + " blobs no mounted image uses are evicted";

    /** Largest blob: the unit index must fit an int even with the smallest unit. */
    static final long MAX_SIZE = (long) Integer.MAX_VALUE * CoreSettings.PAGE_SIZE;

    /**
     * Opens (creating it sparse if missing) the cache file of a blob of {@code size} bytes and learns which units
     * earlier runs filled.
     *
     * @throws IOException when the file exists with another size (it belongs to another blob: remove it)
     */
    static SparseBlob open(Path path, long size, int unitSize) throws IOException {
        if (size < 0 || size > MAX_SIZE) {
            throw new IOException("blob size " + size + " for " + path + " outside [0, " + MAX_SIZE + "]");
        }
        if (unitSize < CoreSettings.PAGE_SIZE || unitSize % CoreSettings.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("fill unit must be a multiple of " + CoreSettings.PAGE_SIZE);
        }
        if (!Files.exists(path)) {
            Path tmp = path.resolveSibling(path.getFileName() + ".new");
            try (RandomAccessFile raf = new RandomAccessFile(tmp.toFile(), "rw")) {
                raf.setLength(size);
            }
            Files.move(tmp, path, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        long actual = Files.size(path);
        if (actual != size) {
            throw new IOException("cache file " + path + " is " + actual + " bytes but its blob is " + size
                    + " bytes; it belongs to another blob: remove it");
        }
        int fd = Posix.open(path.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
        try {
            SparseBlob blob = new SparseBlob(path, size, unitSize, FileId.of(fd), fd);
            blob.scan();
            return blob;
        } catch (IOException | RuntimeException e) {
            Posix.close(fd);
            throw e;
        }
    }

    /** Marks every unit the file holds whole as filled. */
    private synchronized void scan() throws IOException {
        long pos = 0;
        while (pos < size) {
            long data = Posix.seekData(seekFd, pos);
            if (data < 0) {
                break;
            }
            long hole = Posix.seekHole(seekFd, data);
            long end = hole < 0 ? size : Math.min(hole, size);
            for (int u = (int) (data / unitSize); u < units && unitStart(u) < end; u++) {
                if (unitStart(u) >= data && unitEnd(u) <= end) {
                    setFilled(u);
                } else {
                    setBit(partial, u);
                }
            }
            pos = end;
        }
    }

    public Path path() {
        return path;
    }

    public long size() {
        return size;
    }

    FileId id() {
        return id;
    }

    int unitSize() {
        return unitSize;
    }

    public int units() {
        return units;
    }

    /** Runs {@code action} once, when a fill makes the blob complete (not when it was complete at open). */
    void onComplete(Runnable action) {
        this.onComplete = action;
    }

    void attach(ObjectHandle objectHandle) {
        this.handle = objectHandle;
    }

    ObjectHandle handle() {
        return handle;
    }

    public synchronized boolean isComplete() {
        return filledUnits == units;
    }

    public synchronized int filledUnits() {
        return filledUnits;
    }

    synchronized boolean isFilled(int unit) {
        return isFilledLocked(unit);
    }

    private boolean isFilledLocked(int unit) {
        return (filled[unit >>> 6] & (1L << unit)) != 0;
    }

    private static void setBit(long[] bits, int unit) {
        bits[unit >>> 6] |= 1L << unit;
    }

    private void setFilled(int unit) {
        if ((filled[unit >>> 6] & (1L << unit)) == 0) {
            filled[unit >>> 6] |= 1L << unit;
            filledUnits++;
        }
    }

    long unitStart(int unit) {
        return (long) unit * unitSize;
    }

    long unitEnd(int unit) {
        return Math.min(size, (long) (unit + 1) * unitSize);
    }

    /** Keeps a dup of the first event fd seen for this file to write through; later calls do nothing. */
    void adoptWriter(int eventFd) throws IOException {
        if (writerFd >= 0) {
            return;
        }
        synchronized (this) {
            if (writerFd < 0) {
                writerFd = Posix.dup(eventFd);
            }
        }
    }

    /**
     * Writes go through {@code fd} from now on (this blob owns it): an fd opened before the file was marked, or
     * one the fd holder kept — neither raises events. Before the first event only.
     */
    synchronized void useWriter(int fd) {
        if (writerFd >= 0) {
            throw new IllegalStateException("blob " + path + " has a writer already");
        }
        writerFd = fd;
    }

    boolean hasWriter() {
        return writerFd >= 0;
    }

    /**
     * Claims {@code unit} for {@code waiter}: FILLED (nothing to wait for; the waiter is not called), JOINED (a
     * fill is under way; the waiter is called when it ends) or STARTED (the caller must {@link #fill} it).
     */
    synchronized Claim claim(int unit, Waiter waiter) {
        if ((filled[unit >>> 6] & (1L << unit)) != 0) {
            return Claim.FILLED;
        }
        UnitFill fill = inFlight[unit];
        if (fill != null) {
            if (waiter != null) {
                fill.waiters.add(waiter);
            }
            return Claim.JOINED;
        }
        fill = new UnitFill(unit);
        if (waiter != null) {
            fill.waiters.add(waiter);
        }
        inFlight[unit] = fill;
        return Claim.STARTED;
    }

    /** Whether {@code unit} is neither filled nor being filled. */
    synchronized boolean isIdle(int unit) {
        return (filled[unit >>> 6] & (1L << unit)) == 0 && inFlight[unit] == null;
    }

    /**
     * Fetches the holes of a unit this caller {@link #claim claimed} (STARTED); the unit's waiters are called
     * when every hole is written, or when one fails.
     *
     * @return the number of bytes requested from the core
     */
    long fill(int unit) {
        UnitFill fill;
        boolean mayHoldData;
        synchronized (this) {
            fill = inFlight[unit];
            mayHoldData = (partial[unit >>> 6] & (1L << unit)) != 0;
        }
        if (!mayHoldData) {
            synchronized (this) {
                fill.pendingReads = 1;
            }
            handle.read(unitStart(unit), unitEnd(unit) - unitStart(unit), fill);
            return unitEnd(unit) - unitStart(unit);
        }
        List<long[]> holes = new ArrayList<>(1);
        try {
            long pos = unitStart(unit);
            long end = unitEnd(unit);
            while (pos < end) {
                long data = Posix.seekData(seekFd, pos);
                if (data < 0 || data >= end) {
                    holes.add(new long[] {pos, end});
                    break;
                }
                if (data > pos) {
                    holes.add(new long[] {pos, data});
                }
                long hole = Posix.seekHole(seekFd, data);
                pos = hole < 0 ? end : hole;
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "hole query of " + path + " unit " + unit + " failed: " + e.getMessage());
            finish(fill, 5);
            return 0;
        }
        if (holes.isEmpty()) {
            finish(fill, 0);
            return 0;
        }
        long bytes = 0;
        synchronized (this) {
            fill.pendingReads = holes.size();
        }
        ObjectHandle h = handle;
        for (long[] hole : holes) {
            bytes += hole[1] - hole[0];
            h.read(hole[0], hole[1] - hole[0], fill);
        }
        return bytes;
    }

    private void finish(UnitFill fill, int errno) {
        List<Waiter> waiters;
        boolean completed = false;
        synchronized (this) {
            inFlight[fill.unit] = null;
            if (errno == 0) {
                completed = filledUnits == units - 1 && !isFilledLocked(fill.unit);
                setFilled(fill.unit);
                partial[fill.unit >>> 6] &= ~(1L << fill.unit);
            } else {
                // Some of its writes may have landed, and a write that failed may have left allocated blocks that
                // do not hold the blob's bytes: a hole query cannot tell those from data, so fetch it whole next time.
                partial[fill.unit >>> 6] &= ~(1L << fill.unit);
            }
            waiters = fill.waiters;
        }
        for (Waiter w : waiters) {
            try {
                w.unitDone(errno);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "waiter of " + path + " unit " + fill.unit + " threw", e);
            }
        }
        if (completed) {
            onComplete.run();
        }
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        int fd = writerFd;
        if (fd < 0) {
            throw new IOException("no event fd to write " + path + " through yet");
        }
        long length = src.remaining();
        try {
            Posix.pwriteFully(fd, src, offset);
        } catch (ErrnoException e) {
            discard(fd, offset, length);
            throw space.refused(e, path.getFileName().toString());
        }
        space.wrote();
    }

    /**
     * Punches a hole over a range whose write failed, giving back what it allocated: ext4 short of space (ENOSPC)
     * was seen to leave blocks of such a range allocated with bytes that are not the blob's (CacheFullEndToEndTest).
     * Best effort: the unit of a failed fill is fetched whole next time either way.
     */
    private void discard(int fd, long offset, long length) {
        long end = Math.min(size, (offset + length + CoreSettings.PAGE_SIZE - 1) / CoreSettings.PAGE_SIZE
                * CoreSettings.PAGE_SIZE);
        try {
            Posix.fallocate(fd, Posix.FALLOC_FL_PUNCH_HOLE | Posix.FALLOC_FL_KEEP_SIZE, offset, end - offset);
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "cannot punch the failed write at " + offset + "+" + (end - offset) + " out of "
                    + path + ": " + e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        int fd = writerFd;
        writerFd = -1;
        try {
            if (fd >= 0) {
                Posix.close(fd);
            }
        } finally {
            Posix.close(seekFd);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }

    /** A unit being filled: the READs it still waits for and who waits for it. */
    private final class UnitFill implements ReadReply {
        final int unit;
        final List<Waiter> waiters = new ArrayList<>(2);
        /** Guarded by the blob. */
        int pendingReads;
        /** Guarded by the blob. */
        int errno;

        UnitFill(int unit) {
            this.unit = unit;
        }

        @Override
        public void filled() {
            done(0);
        }

        @Override
        public void failed(int error) {
            done(error <= 0 ? 5 : error);
        }

        private void done(int error) {
            int result;
            synchronized (SparseBlob.this) {
                if (error != 0 && errno == 0) {
                    errno = error;
                }
                if (--pendingReads > 0) {
                    return;
                }
                result = errno;
            }
            finish(this, result);
        }
    }
}
