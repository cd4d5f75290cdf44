package dev.ondemandd.protocol.erofs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The chunk size of the chunk-based files that point into each blob device of an EROFS image, found by walking
 * its directory tree from the root inode (fs/erofs/erofs_fs.h; all fields little-endian). A chunk is the unit mkfs
 * lays a file's data out in a blob by ({@code --chunksize}), so it is the natural unit to fill a blob in.
 *
 * <pre>
 * inode at meta_blkaddr * block size + nid * 32:
 *   __le16 i_format;        // bit 0: 64-byte extended inode; bits 1-3: data layout (4 = chunk-based)
 *   __le16 i_xattr_icount;  // inline xattrs: 0, or 12 + (n - 1) * 4 bytes after the inode
 *   __le16 i_mode;
 *   ...                     // i_size: __le32 at 8 (compact), __le64 at 8 (extended)
 *   union i_u;              // at 16: raw_blkaddr, or struct erofs_inode_chunk_info { __le16 format; ... }
 * chunk format: bits 0-4 chunk bits over the block size; 0x20: 8-byte indexes
 *   struct erofs_inode_chunk_index { __le16 advise; __le16 device_id; __le32 blkaddr; }   (8-aligned)
 *   else a 4-byte blkaddr per chunk in the unified address space                          (4-aligned)
 * directory blocks: struct erofs_dirent { __le64 nid; __le16 nameoff; __u8 file_type; __u8 reserved; }, the
 *   first nameoff / 12 of them per block; flat-plain data at raw_blkaddr, flat-inline tail after the inode
 * </pre>
 *
 * <p>Every offset and count read is checked against the image before it is used, the walk visits each inode once
 * and reads at most {@link #MAX_BYTES_READ}: a hostile image gets a {@link MalformedImageException}, never a loop.
 */
public final class ErofsChunks {

    /** Most bytes of metadata the walk reads (inodes, directory blocks, chunk indexes). */
    public static final long MAX_BYTES_READ = 64L << 20;
    /** Most inodes the walk visits. */
    public static final int MAX_INODES = 1_000_000;

    static final int ISLOT_SIZE = 32;
    static final int COMPACT_INODE = 32;
    static final int EXTENDED_INODE = 64;
    static final int DIRENT_SIZE = 12;
    static final int LAYOUT_FLAT_PLAIN = 0;
    static final int LAYOUT_FLAT_INLINE = 2;
    static final int LAYOUT_CHUNK_BASED = 4;
    static final int CHUNK_BLKBITS_MASK = 0x1f;
    static final int CHUNK_INDEXES = 0x20;
    static final int NULL_ADDR = -1;
    static final int S_IFMT = 0xf000;
    static final int S_IFDIR = 0x4000;
    static final int S_IFREG = 0x8000;
    private static final int OFF_ROOT_NID = 14;
    private static final int OFF_META_BLKADDR = 40;

    /** Reads image bytes: fills {@code dst} from {@code offset} or throws. */
    @FunctionalInterface
    public interface ImageReader {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    private final ImageReader image;
    private final long imageSize;
    private final ErofsSuperblock sb;
    private final int blockSize;
    private final long metaStart;
    private long bytesRead;
    private final Map<Integer, Integer> smallest = new TreeMap<>();

    private ErofsChunks(ImageReader image, long imageSize, ErofsSuperblock sb, long metaBlkaddr) {
        this.image = image;
        this.imageSize = imageSize;
        this.sb = sb;
        this.blockSize = sb.blockSize();
        this.metaStart = metaBlkaddr * blockSize;
    }

    /**
     * For each blob device (slot 1 on) that chunk-based files point into, the smallest chunk size in bytes they
     * use; devices no chunk points into are absent.
     *
     * @param head the image's first bytes, at least through the superblock
     */
    public static Map<Integer, Integer> chunkSizes(ImageReader image, long imageSize, ByteBuffer head)
            throws IOException {
        ErofsSuperblock sb = ErofsSuperblock.parse(head, imageSize);
        if ((sb.featureIncompat() & ErofsSuperblock.FEATURE_INCOMPAT_48BIT) != 0) {
            throw new MalformedImageException("48-bit layout: its root inode and chunk indexes are not read here");
        }
        ByteBuffer b = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int at = ErofsSuperblock.SUPERBLOCK_OFFSET;
        long rootNid = Short.toUnsignedLong(b.getShort(at + OFF_ROOT_NID));
        long metaBlkaddr = Integer.toUnsignedLong(b.getInt(at + OFF_META_BLKADDR));
        ErofsChunks walk = new ErofsChunks(image, imageSize, sb, metaBlkaddr);
        walk.walk(rootNid);
        return Map.copyOf(walk.smallest);
    }

    private void walk(long rootNid) throws IOException {
        Set<Long> seen = new HashSet<>();
        ArrayDeque<Long> dirs = new ArrayDeque<>();
        seen.add(rootNid);
        dirs.add(rootNid);
        while (!dirs.isEmpty()) {
            Inode dir = inode(dirs.poll());
            if ((dir.mode & S_IFMT) != S_IFDIR) {
                continue;
            }
            for (long nid : children(dir)) {
                if (!seen.add(nid)) {
                    continue; // ".", "..", hard links
                }
                if (seen.size() > MAX_INODES) {
                    throw new MalformedImageException("more than " + MAX_INODES + " inodes");
                }
                Inode child = inode(nid);
                if ((child.mode & S_IFMT) == S_IFDIR) {
                    dirs.add(nid);
                } else if ((child.mode & S_IFMT) == S_IFREG && child.layout == LAYOUT_CHUNK_BASED) {
                    chunks(child);
                }
            }
        }
    }

    /**
     * One on-disk inode's fields this walk needs; {@code size} counts the inode and its inline xattrs, so
     * {@link #end()} is where an inline tail or the chunk entries begin.
     */
    private record Inode(long nid, long at, int size, int layout, int mode, long dataSize, int iu) {
        long end() {
            return at + size;
        }
    }

    private Inode inode(long nid) throws IOException {
        long at = metaStart + nid * ISLOT_SIZE;
        ByteBuffer b = read(at, COMPACT_INODE);
        int format = Short.toUnsignedInt(b.getShort(0));
        boolean extended = (format & 1) != 0;
        if (extended) {
            b = read(at, EXTENDED_INODE);
        }
        int xattrCount = Short.toUnsignedInt(b.getShort(2));
        int xattrBytes = xattrCount == 0 ? 0 : 12 + (xattrCount - 1) * 4;
        long size = extended ? b.getLong(8) : Integer.toUnsignedLong(b.getInt(8));
        if (size < 0) {
            throw new MalformedImageException("inode " + nid + ": size " + Long.toUnsignedString(size));
        }
        return new Inode(nid, at, (extended ? EXTENDED_INODE : COMPACT_INODE) + xattrBytes,
                (format >>> 1) & 0x7, Short.toUnsignedInt(b.getShort(4)), size, b.getInt(16));
    }

    /** The nids a directory lists, "." and ".." included. */
    private long[] children(Inode dir) throws IOException {
        if (dir.layout != LAYOUT_FLAT_PLAIN && dir.layout != LAYOUT_FLAT_INLINE) {
            throw new MalformedImageException("directory inode " + dir.nid + " has data layout " + dir.layout);
        }
        long[] nids = new long[16];
        int count = 0;
        long blocks = (dir.dataSize + blockSize - 1) / blockSize;
        for (long i = 0; i < blocks; i++) {
            int length = (int) Math.min(blockSize, dir.dataSize - i * blockSize);
            boolean inlineTail = dir.layout == LAYOUT_FLAT_INLINE && i == blocks - 1;
            long at = inlineTail ? dir.end() : (Integer.toUnsignedLong(dir.iu) + i) * blockSize;
            ByteBuffer b = read(at, length);
            if (length < DIRENT_SIZE) {
                throw new MalformedImageException("directory inode " + dir.nid + ": block " + i + " of " + length
                        + " bytes");
            }
            int entries = Short.toUnsignedInt(b.getShort(8)) / DIRENT_SIZE;
            if (entries == 0 || entries * DIRENT_SIZE > length) {
                throw new MalformedImageException("directory inode " + dir.nid + ": block " + i + " claims "
                        + entries + " entries in " + length + " bytes");
            }
            for (int e = 0; e < entries; e++) {
                if (count == nids.length) {
                    nids = Arrays.copyOf(nids, count * 2);
                }
                nids[count++] = b.getLong(e * DIRENT_SIZE);
            }
        }
        return Arrays.copyOf(nids, count);
    }

    /** Notes the chunk size of a chunk-based file against every device its chunks lie in. */
    private void chunks(Inode file) throws IOException {
        int format = file.iu & 0xffff;
        int chunkBits = Integer.numberOfTrailingZeros(blockSize) + (format & CHUNK_BLKBITS_MASK);
        if (chunkBits > 30) {
            throw new MalformedImageException("file inode " + file.nid + ": chunks of 2^" + chunkBits + " bytes");
        }
        int chunkSize = 1 << chunkBits;
        long chunks = (file.dataSize + chunkSize - 1) >>> chunkBits;
        if (chunks == 0) {
            return;
        }
        boolean indexes = (format & CHUNK_INDEXES) != 0;
        int entrySize = indexes ? 8 : 4;
        long first = align(file.end(), entrySize);
        if (first > imageSize || chunks > (imageSize - first) / entrySize) {
            throw new MalformedImageException("file inode " + file.nid + ": " + chunks + " chunk entries run past"
                    + " the image end " + imageSize);
        }
        for (long done = 0; done < chunks;) {
            int batch = (int) Math.min(chunks - done, blockSize / entrySize);
            ByteBuffer b = read(first + done * entrySize, batch * entrySize);
            for (int i = 0; i < batch; i++) {
                int blkaddr = b.getInt(i * entrySize + (indexes ? 4 : 0));
                if (blkaddr == NULL_ADDR) {
                    continue; // a hole
                }
                int device = indexes ? Short.toUnsignedInt(b.getShort(i * entrySize + 2))
                        : deviceOfUnified(Integer.toUnsignedLong(blkaddr));
                if (device > 0 && device <= sb.devices().size()) {
                    smallest.merge(device, chunkSize, Math::min);
                }
            }
            done += batch;
        }
    }

    /** The device a block of the unified address space lies in (erofs_map_dev): 0 for the image itself. */
    private int deviceOfUnified(long blkaddr) {
        for (ErofsDevice d : sb.devices()) {
            if (d.uniaddr() != 0 && blkaddr >= d.uniaddr() && blkaddr - d.uniaddr() < d.blocks()) {
                return d.slot();
            }
        }
        return 0;
    }

    private static long align(long value, int to) {
        return (value + to - 1) / to * to;
    }

    private ByteBuffer read(long at, int length) throws IOException {
        if (at < 0 || length < 0 || at > imageSize - length) {
            throw new MalformedImageException("metadata at [" + at + ", " + (at + length) + ") lies outside the "
                    + imageSize + "-byte image");
        }
        bytesRead += length;
        if (bytesRead > MAX_BYTES_READ) {
            throw new MalformedImageException("walking the directory tree read more than " + MAX_BYTES_READ
                    + " bytes of metadata");
        }
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        image.read(at, b);
        if (b.hasRemaining()) {
            throw new MalformedImageException("metadata at " + at + " ended early");
        }
        return b.flip();
    }
}
