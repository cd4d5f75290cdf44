package dev.ondemandd.protocol.erofs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * What ondemandd needs from an EROFS image's superblock: the block size and the device table, which lists
 * the data blobs the image reads from. Everything is little-endian on disk (fs/erofs/erofs_fs.h).
 *
 * <pre>
 * struct erofs_super_block {            // at byte 1024 of the image
 *         __le32 magic;                  // 0  EROFS_SUPER_MAGIC_V1 0xE0F5E1E2
 *         __le32 checksum;               // 4
 *         __le32 feature_compat;         // 8
 *         __u8   blkszbits;              // 12
 *         __u8   sb_extslots;            // 13
 *         __le16 rootnid_2b;             // 14
 *         __le64 inos;                   // 16
 *         __le64 epoch;                  // 24
 *         __le32 fixed_nsec;             // 32
 *         __le32 blocks_lo;              // 36
 *         __le32 meta_blkaddr;           // 40
 *         __le32 xattr_blkaddr;          // 44
 *         __u8   uuid[16];               // 48
 *         __u8   volume_name[16];        // 64
 *         __le32 feature_incompat;       // 80
 *         __le16 available_compr_algs;   // 84
 *         __le16 extra_devices;          // 86
 *         __le16 devt_slotoff;           // 88  device table at devt_slotoff * 128
 *         …
 * };
 * </pre>
 *
 * @param blockSizeBits log2 of the block size
 * @param blocks the image's own size in blocks (low 32 bits)
 * @param devices the extra devices, slot 1 first
 */
public record ErofsSuperblock(int blockSizeBits, long blocks, int featureIncompat, List<ErofsDevice> devices) {

    public static final int SUPERBLOCK_OFFSET = 1024;
    public static final int SUPERBLOCK_SIZE = 128;
    public static final int MAGIC = 0xE0F5E1E2;
    public static final int DEVT_SLOT_SIZE = 128;
    public static final int TAG_SIZE = 64;
    public static final int FEATURE_INCOMPAT_48BIT = 0x80;
    /** The kernel accepts 512-byte blocks up to the page size; 64 KiB pages are the largest in use. */
    public static final int MIN_BLOCK_SIZE_BITS = 9;
    public static final int MAX_BLOCK_SIZE_BITS = 16;

    private static final int OFF_BLKSZBITS = 12;
    private static final int OFF_BLOCKS = 36;
    private static final int OFF_FEATURE_INCOMPAT = 80;
    private static final int OFF_EXTRA_DEVICES = 86;
    private static final int OFF_DEVT_SLOTOFF = 88;
    private static final int OFF_SLOT_BLOCKS_LO = 64;
    private static final int OFF_SLOT_UNIADDR_LO = 68;
    private static final int OFF_SLOT_BLOCKS_HI = 72;
    private static final int OFF_SLOT_UNIADDR_HI = 74;

    public ErofsSuperblock {
        devices = List.copyOf(devices);
    }

    /** The block size in bytes. */
    public int blockSize() {
        return 1 << blockSizeBits;
    }

    /** How many bytes of the image {@link #parse} needs to see the device table: the superblock end or the table end. */
    public static long bytesNeeded(ByteBuffer head) throws MalformedImageException {
        ByteBuffer b = head.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        requireSuperblock(b);
        int extra = Short.toUnsignedInt(b.getShort(SUPERBLOCK_OFFSET + OFF_EXTRA_DEVICES));
        int slotoff = Short.toUnsignedInt(b.getShort(SUPERBLOCK_OFFSET + OFF_DEVT_SLOTOFF));
        return Math.max(SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE, (long) slotoff * DEVT_SLOT_SIZE + (long) extra * DEVT_SLOT_SIZE);
    }

    /**
     * Parses the superblock and device table from {@code image} (the image's first bytes, position 0 to limit)
     * of an image of {@code imageSize} bytes.
     *
     * @throws MalformedImageException for a bad magic or block size, or a device table outside the image or
     *     the bytes given
     */
    public static ErofsSuperblock parse(ByteBuffer image, long imageSize) throws MalformedImageException {
        ByteBuffer b = image.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position(0);
        requireSuperblock(b);
        int sb = SUPERBLOCK_OFFSET;
        int bits = Byte.toUnsignedInt(b.get(sb + OFF_BLKSZBITS));
        if (bits < MIN_BLOCK_SIZE_BITS || bits > MAX_BLOCK_SIZE_BITS) {
            throw new MalformedImageException("blkszbits " + bits + " outside [" + MIN_BLOCK_SIZE_BITS + ", "
                    + MAX_BLOCK_SIZE_BITS + "]");
        }
        long blocks = Integer.toUnsignedLong(b.getInt(sb + OFF_BLOCKS));
        int incompat = b.getInt(sb + OFF_FEATURE_INCOMPAT);
        boolean wide = (incompat & FEATURE_INCOMPAT_48BIT) != 0;
        int extra = Short.toUnsignedInt(b.getShort(sb + OFF_EXTRA_DEVICES));
        long tableStart = (long) Short.toUnsignedInt(b.getShort(sb + OFF_DEVT_SLOTOFF)) * DEVT_SLOT_SIZE;
        long tableEnd = tableStart + (long) extra * DEVT_SLOT_SIZE;
        List<ErofsDevice> devices = new ArrayList<>(extra);
        if (extra > 0) {
            if (tableStart < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
                throw new MalformedImageException("device table at " + tableStart + " overlaps the superblock");
            }
            if (tableEnd > imageSize) {
                throw new MalformedImageException("device table [" + tableStart + ", " + tableEnd
                        + ") runs past the image end " + imageSize);
            }
            if (tableEnd > b.limit()) {
                throw new MalformedImageException("device table [" + tableStart + ", " + tableEnd
                        + ") lies beyond the " + b.limit() + " bytes read");
            }
            for (int i = 0; i < extra; i++) {
                int slot = (int) tableStart + i * DEVT_SLOT_SIZE;
                byte[] tag = new byte[TAG_SIZE];
                b.get(slot, tag);
                long devBlocks = Integer.toUnsignedLong(b.getInt(slot + OFF_SLOT_BLOCKS_LO));
                long uniaddr = Integer.toUnsignedLong(b.getInt(slot + OFF_SLOT_UNIADDR_LO));
                if (wide) {
                    devBlocks |= (long) Short.toUnsignedInt(b.getShort(slot + OFF_SLOT_BLOCKS_HI)) << 32;
                    uniaddr |= (long) Short.toUnsignedInt(b.getShort(slot + OFF_SLOT_UNIADDR_HI)) << 32;
                }
                devices.add(new ErofsDevice(i + 1, tag, devBlocks, uniaddr));
            }
        }
        return new ErofsSuperblock(bits, blocks, incompat, devices);
    }

    private static void requireSuperblock(ByteBuffer b) throws MalformedImageException {
        if (b.limit() < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE) {
            throw new MalformedImageException("image is " + b.limit() + " bytes, too short for a superblock");
        }
        int magic = b.getInt(SUPERBLOCK_OFFSET);
        if (magic != MAGIC) {
            throw new MalformedImageException(String.format("bad magic 0x%08X at %d, not an EROFS image (0x%08X)",
                    magic, SUPERBLOCK_OFFSET, MAGIC));
        }
    }

    /** The byte size of device {@code d}, or -1 when the table does not say ({@code blocks} is 0). */
    public long deviceBytes(ErofsDevice d) {
        return d.blocks() == 0 ? -1 : d.blocks() << blockSizeBits;
    }
}
