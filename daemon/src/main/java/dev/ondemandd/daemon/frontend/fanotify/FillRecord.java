package dev.ondemandd.daemon.frontend.fanotify;

import dev.ondemandd.protocol.nativeio.ErrnoException;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;

/**
 * Which units of one blob's cache file were written whole, kept next to it ({@code <file>.units}) so a restart
 * trusts only units a fill finished (see {@link SparseBlob}). Layout, little-endian:
 * <pre>
 *   u8[8]  magic "ODUNITS1"
 *   u64    blob size
 *   u32    unit size
 *   u32    units
 *   u8[(units + 7) / 8]  bit u % 8 of byte u / 8 set: unit u written whole
 * </pre>
 * A record that is missing, short, or made for another size or unit trusts nothing (it is written anew): its
 * blob's units are all fetched again. A bit is set with one pwrite of its byte, in place: the file is written
 * whole at creation, so setting a bit never needs new blocks on a full disk.
 */
final class FillRecord implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(FillRecord.class.getName());
    private static final byte[] MAGIC = "ODUNITS1".getBytes(StandardCharsets.US_ASCII);
    static final int HEADER_BYTES = 24;
    static final String SUFFIX = dev.ondemandd.daemon.cache.CacheJanitor.FILL_RECORD_SUFFIX;

    private final Path path;
    private final byte[] bits;
    private final int fd;
    private final ByteBuffer one = ByteBuffer.allocateDirect(1);
    private int whole;
    private boolean warned;

    private FillRecord(Path path, byte[] bits, int fd) {
        this.path = path;
        this.bits = bits;
        this.fd = fd;
        for (byte b : bits) {
            whole += Integer.bitCount(b & 0xff);
        }
    }

    /** The record of the blob cache file {@code blob}. */
    static Path of(Path blob) {
        return blob.resolveSibling(blob.getFileName() + SUFFIX);
    }

    private static int bitmapBytes(int units) {
        return (units + 7) >>> 3;
    }

    private static int units(long size, int unitSize) {
        return (int) ((size + unitSize - 1) / unitSize);
    }

    /** Writes an empty record (no unit whole), replacing any. */
    static void create(Path path, long size, int unitSize) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + bitmapBytes(units(size, unitSize)))
                .order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putLong(size).putInt(unitSize).putInt(units(size, unitSize));
        Path tmp = path.resolveSibling(path.getFileName() + ".new");
        Files.write(tmp, b.array());
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Opens the record of a blob of {@code size} bytes in {@code unitSize} units; one that does not fit is replaced. */
    static FillRecord open(Path path, long size, int unitSize) throws IOException {
        int units = units(size, unitSize);
        byte[] bitmap = null;
        String why;
        try {
            byte[] file = Files.readAllBytes(path);
            why = check(file, size, unitSize, units);
            if (why == null) {
                bitmap = Arrays.copyOfRange(file, HEADER_BYTES, file.length);
                int spare = units & 7;
                if (spare != 0 && (bitmap[bitmap.length - 1] & 0xff) >>> spare != 0) {
                    bitmap = null;
                    why = "bits set past the last unit";
                }
            }
        } catch (NoSuchFileException e) {
            why = "missing";
        }
        if (bitmap == null) {
            LOG.log(Level.INFO, "fill record " + path + " " + why + ": written anew; every unit of its blob not"
                    + " recorded is fetched again");
            create(path, size, unitSize);
            bitmap = new byte[bitmapBytes(units)];
        }
        return new FillRecord(path, bitmap, Posix.open(path.toString(), Posix.O_RDWR | Posix.O_CLOEXEC));
    }

    /** Why {@code file} is not the record of this blob, or null when it is. */
    private static String check(byte[] file, long size, int unitSize, int units) {
        if (file.length != HEADER_BYTES + bitmapBytes(units)) {
            return "is " + file.length + " bytes, not " + (HEADER_BYTES + bitmapBytes(units));
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            return "has no ODUNITS1 header";
        }
        long recordedSize = b.getLong();
        int recordedUnit = b.getInt();
        int recordedUnits = b.getInt();
        if (recordedSize != size || recordedUnit != unitSize || recordedUnits != units) {
            return "is for size " + recordedSize + " in " + recordedUnit + "-byte units, not " + size + " in "
                    + unitSize;
        }
        return null;
    }

    boolean isWhole(int unit) {
        return (bits[unit >>> 3] & (1 << (unit & 7))) != 0;
    }

    int wholeUnits() {
        return whole;
    }

    /**
     * Records {@code unit} as written whole; call it only after its last write succeeded. A record that cannot be
     * written costs a refetch of the unit after a restart, never a wrong byte: one WARNING line.
     */
    void markWhole(int unit) {
        if (isWhole(unit)) {
            return;
        }
        bits[unit >>> 3] |= (byte) (1 << (unit & 7));
        whole++;
        one.clear();
        one.put(0, bits[unit >>> 3]);
        try {
            Posix.pwriteFully(fd, one, HEADER_BYTES + (long) (unit >>> 3));
        } catch (ErrnoException e) {
            if (!warned) {
                warned = true;
                LOG.log(Level.WARNING, "cannot update fill record " + path + ": " + e.getMessage()
                        + "; units filled now are fetched again after a restart");
            }
        }
    }

    @Override
    public void close() throws IOException {
        Posix.close(fd);
    }
}
