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
 * <p>The file is cut into fill units. A unit is filled when every byte of it has been written, and a restart
 * trusts a unit only when both say so: its bit in the fill record ({@code <file>.units}, {@link FillRecord}), set
 * after the unit's last write succeeded, and the file's own extents (SEEK_DATA/SEEK_HOLE: every page of it is
 * data). The extents alone are not enough: a write that fails for want of space can leave blocks allocated that
 * do not hold the blob's bytes (ext4, ENOSPC), and a crash before that range is punched out again would leave a
 * unit that looks written whole. Any unit not trusted is fetched whole again, over whatever it holds. The record
 * is written after the data through the page cache, so a killed daemon leaves it exact; after a power loss a bit
 * may outlive its data, which is why the extents must agree (ext4's ordered mode never shows allocated blocks
 * whose data was not written). A unit being filled is in flight: later events on it wait for that fill instead
 * of fetching again.
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
    /** Which units were recorded whole, kept across restarts. Guarded by this. */
    private final FillRecord record;
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

    private SparseBlob(Path path, long size, int unitSize, FileId id, int seekFd, FillRecord record) {
        this.path = path;
        Path dir = path.toAbsolutePath().getParent();
        this.space = CacheSpace.of(dir.getParent() != null ? dir.getParent() : dir, SPACE_REMEDY);
        this.size = size;
        this.unitSize = unitSize;
        this.units = (int) ((size + unitSize - 1) / unitSize);
        this.id = id;
        this.seekFd = seekFd;
        this.filled = new long[(units + 63) >>> 6];
        this.record = record;
        this.inFlight = new UnitFill[units];
    }

    /**
     * Test seam for the crash this class must survive: a daemon killed between a failed write and the punch that
     * undoes it never punches. {@code FailedWriteCrashTest} sets it to leave exactly that state on a real full
     * filesystem. Never set outside tests.
     */
    static volatile boolean crashBeforePunchForTest;

    /** What an operator can do when the cache directory is full. */
    static final String SPACE_REMEDY = "free space on its filesystem, or set cache.quota below the space there so"
            + " blobs no mounted image uses are evicted";

    /** Largest blob: the unit index must fit an int even with the smallest unit. */
    static final long MAX_SIZE = (long) Integer.MAX_VALUE * CoreSettings.PAGE_SIZE;

    /**
     * Opens (creating it sparse if missing) the cache file of a blob of {@code size} bytes and learns which units
     * earlier runs filled: those its fill record holds whole and the file holds as data.
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
        Path recordPath = FillRecord.of(path);
        if (!Files.exists(path)) {
            // the record first: a blob file never exists with a record of another blob's units
            FillRecord.create(recordPath, size, unitSize);
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
        FillRecord record = FillRecord.open(recordPath, size, unitSize);
        int fd = -1;
        try {
            fd = Posix.open(path.toString(), Posix.O_RDONLY | Posix.O_CLOEXEC);
            SparseBlob blob = new SparseBlob(path, size, unitSize, FileId.of(fd), fd, record);
            blob.scan();
            return blob;
        } catch (IOException | RuntimeException e) {
            if (fd >= 0) {
                Posix.close(fd);
            }
            record.close();
            throw e;
        }
    }

    /** Marks as filled every unit the record holds whole and the file holds as data; logs what it distrusts. */
    private synchronized void scan() throws IOException {
        int dataNotRecorded = 0;
        long pos = 0;
        while (pos < size) {
            long data = Posix.seekData(seekFd, pos);
            if (data < 0) {
                break;
            }
            long hole = Posix.seekHole(seekFd, data);
            long end = hole < 0 ? size : Math.min(hole, size);
            for (int u = (int) (data / unitSize); u < units && unitStart(u) < end; u++) {
                if (unitStart(u) >= data && unitEnd(u) <= end && record.isWhole(u)) {
                    setFilled(u);
                } else if (!isFilledLocked(u)) {
                    dataNotRecorded++;
                }
            }
            pos = end;
        }
        int recordedNotData = record.wholeUnits() - filledUnits;
        if (dataNotRecorded > 0 || recordedNotData > 0) {
            LOG.log(Level.INFO, path + ": " + filledUnits + " of " + units + " units kept; " + dataNotRecorded
                    + " hold data no fill recorded whole and " + recordedNotData + " were recorded but are not all"
                    + " data (a run stopped inside them): those are fetched whole again");
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
     * Fetches a unit this caller {@link #claim claimed} (STARTED), whole: whatever an earlier run left in it is not
     * trusted (see the class comment). The unit's waiters are called when it is written, or when that fails.
     *
     * @return the number of bytes requested from the core
     */
    long fill(int unit) {
        UnitFill fill;
        synchronized (this) {
            fill = inFlight[unit];
            fill.pendingReads = 1;
        }
        handle.read(unitStart(unit), unitEnd(unit) - unitStart(unit), fill);
        return unitEnd(unit) - unitStart(unit);
    }

    private void finish(UnitFill fill, int errno) {
        List<Waiter> waiters;
        boolean completed = false;
        synchronized (this) {
            inFlight[fill.unit] = null;
            if (errno == 0) {
                completed = filledUnits == units - 1 && !isFilledLocked(fill.unit);
                setFilled(fill.unit);
                record.markWhole(fill.unit); // after every write of the unit succeeded: see the class comment
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
            if (!crashBeforePunchForTest) {
                discard(fd, offset, length);
            }
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
            try {
                Posix.close(seekFd);
            } finally {
                record.close();
            }
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
