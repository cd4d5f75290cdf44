package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.protocol.nativeio.FileId;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The fanotify events this worker has read but not answered, in a shared memory-mapped file that outlives the
 * worker (its fd is kept by the fd holder). The kernel matches a response by the event's fd <em>number</em> only,
 * so a successor can answer what a killed worker left pending if it knows each number and what it was about.
 *
 * <p>Layout (native byte order): a 64-byte header — magic, version, slot count, the highest fd limit of any
 * worker that wrote here, the highest fd number recorded — then one 40-byte slot per fd number:
 * <pre>
 * int live      // fd + 1 while the event is pending, 0 when free; written last, with release semantics
 * int devMajor  // the event file's device (-1: the file could not be identified)
 * int devMinor
 * int pad
 * long ino
 * long offset   // the event's range
 * long count    // -1: the event carried no range
 * </pre>
 * Recording and clearing are plain stores into the page cache: no system call on the event path. A worker
 * killed between read(2) and {@link #record} leaves an event nobody knows the range of; the successor finds it
 * by probing every fd number below {@link #fdLimit()} and fails it with EIO — never zeros, never a hang.
 */
public final class PendingJournal implements AutoCloseable {
    static final long MAGIC = 0x314e524a46444e4fL; // "ONDFJRN1" in little-endian bytes
    static final int VERSION = 1;
    static final int HEADER_SIZE = 64;
    static final int SLOT_SIZE = 40;
    /** fd numbers beyond this are not journaled (their events are still served; a successor probes them). */
    static final int MAX_SLOTS = 1 << 20;
    /** The count of an event without a range. */
    public static final long NO_RANGE = -1;

    private static final int OFF_MAGIC = 0;
    private static final int OFF_VERSION = 8;
    private static final int OFF_SLOTS = 12;
    private static final int OFF_FD_LIMIT = 16;
    private static final int OFF_HIGH_WATER = 20;
    private static final int S_LIVE = 0;
    private static final int S_DEV_MAJOR = 4;
    private static final int S_DEV_MINOR = 8;
    private static final int S_INO = 16;
    private static final int S_OFFSET = 24;
    private static final int S_COUNT = 32;
    private static final VarHandle INTS = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    /** One pending event as a predecessor recorded it. */
    public record Entry(int fd, FileId file, long offset, long count) {
        /** Whether the event carried a range. */
        public boolean hasRange() {
            return count != NO_RANGE;
        }
    }

    private static final PendingJournal DISABLED = new PendingJournal(null, 0);

    private final MappedByteBuffer map;
    private final int slots;
    private int highWater;

    private PendingJournal(MappedByteBuffer map, int slots) {
        this.map = map;
        this.slots = slots;
        this.highWater = map == null ? -1 : map.getInt(OFF_HIGH_WATER);
    }

    /** A journal that records nothing: no fd holder keeps the group, so nothing can outlive this process. */
    public static PendingJournal disabled() {
        return DISABLED;
    }

    /** Creates (or empties) {@code file} as a journal for fd numbers below {@code fdLimit}. */
    public static PendingJournal create(Path file, int fdLimit) throws IOException {
        if (fdLimit <= 0) {
            throw new IllegalArgumentException("fd limit must be positive: " + fdLimit);
        }
        int slots = Math.min(fdLimit, MAX_SLOTS);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_SIZE + (long) slots * SLOT_SIZE);
            map.order(ByteOrder.nativeOrder());
            map.putInt(OFF_VERSION, VERSION).putInt(OFF_SLOTS, slots).putInt(OFF_FD_LIMIT, fdLimit)
                    .putInt(OFF_HIGH_WATER, -1);
            map.putLong(OFF_MAGIC, MAGIC);
            return new PendingJournal(map, slots);
        }
    }

    /**
     * Maps the journal a predecessor wrote ({@code file} may be {@code /proc/self/fd/N} of the fd handed back).
     *
     * @throws IOException when the file is no journal of this version or is cut short: the caller then probes
     *     without it
     */
    public static PendingJournal open(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < HEADER_SIZE) {
                throw new IOException("fanotify journal " + file + " is " + size + " bytes, shorter than its header");
            }
            MappedByteBuffer head = ch.map(FileChannel.MapMode.READ_ONLY, 0, HEADER_SIZE);
            head.order(ByteOrder.nativeOrder());
            if (head.getLong(OFF_MAGIC) != MAGIC || head.getInt(OFF_VERSION) != VERSION) {
                throw new IOException("fanotify journal " + file + " has an unknown magic or version");
            }
            int slots = head.getInt(OFF_SLOTS);
            if (slots <= 0 || slots > MAX_SLOTS || size < HEADER_SIZE + (long) slots * SLOT_SIZE) {
                throw new IOException("fanotify journal " + file + " declares " + slots + " slots in " + size
                        + " bytes");
            }
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_WRITE, 0, HEADER_SIZE + (long) slots * SLOT_SIZE);
            map.order(ByteOrder.nativeOrder());
            return new PendingJournal(map, slots);
        }
    }

    /** Whether this journal records anything. */
    public boolean enabled() {
        return map != null;
    }

    /** The highest fd limit of any worker that wrote here: every number a pending event can hold is below it. */
    public int fdLimit() {
        return map == null ? 0 : map.getInt(OFF_FD_LIMIT);
    }

    /** Raises {@link #fdLimit()} to {@code limit} (a successor with a higher limit); never lowers it. */
    public void raiseFdLimit(int limit) {
        if (map != null && limit > fdLimit()) {
            map.putInt(OFF_FD_LIMIT, limit);
        }
    }

    /**
     * Records that the event of {@code fd} is pending. Called by the event loop only, right after read(2).
     *
     * @param file the event's file, null when it could not be identified
     * @return false when {@code fd} is beyond the journal (the event is served but a successor can only fail it)
     */
    public boolean record(int fd, FileId file, long offset, long count) {
        if (map == null) {
            return true;
        }
        if (fd < 0 || fd >= slots) {
            return false;
        }
        int at = HEADER_SIZE + fd * SLOT_SIZE;
        map.putInt(at + S_DEV_MAJOR, file == null ? -1 : file.devMajor())
                .putInt(at + S_DEV_MINOR, file == null ? -1 : file.devMinor())
                .putLong(at + S_INO, file == null ? 0 : file.ino())
                .putLong(at + S_OFFSET, offset).putLong(at + S_COUNT, count);
        if (fd > highWater) {
            highWater = fd;
            INTS.setRelease(map, OFF_HIGH_WATER, fd);
        }
        INTS.setRelease(map, at + S_LIVE, fd + 1);
        return true;
    }

    /** The event of {@code fd} is answered. Call after the response is written and before the fd is closed. */
    public void clear(int fd) {
        if (map != null && fd >= 0 && fd < slots) {
            INTS.setRelease(map, HEADER_SIZE + fd * SLOT_SIZE + S_LIVE, 0);
        }
    }

    /** The events recorded and not cleared, by fd number. */
    public List<Entry> pending() {
        List<Entry> entries = new ArrayList<>();
        if (map == null) {
            return entries;
        }
        int top = Math.min(slots - 1, (int) INTS.getAcquire(map, OFF_HIGH_WATER));
        for (int fd = 0; fd <= top; fd++) {
            int at = HEADER_SIZE + fd * SLOT_SIZE;
            if ((int) INTS.getAcquire(map, at + S_LIVE) != fd + 1) {
                continue;
            }
            int major = map.getInt(at + S_DEV_MAJOR);
            FileId file = major < 0 ? null : new FileId(major, map.getInt(at + S_DEV_MINOR), map.getLong(at + S_INO));
            entries.add(new Entry(fd, file, map.getLong(at + S_OFFSET), map.getLong(at + S_COUNT)));
        }
        return entries;
    }

    /** Nothing to release: the mapping ends with the process, and the file with its last fd. */
    @Override
    public void close() {
        // A MappedByteBuffer cannot be unmapped explicitly; it is dropped with this object.
    }
}
