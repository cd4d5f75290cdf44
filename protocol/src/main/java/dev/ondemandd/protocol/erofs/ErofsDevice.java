package dev.ondemandd.protocol.erofs;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One extra device (a data blob) of an EROFS image, from its device table.
 *
 * <pre>
 * struct erofs_deviceslot {
 *         u8     tag[64];       // digest(sha256), a name, or zeros
 *         __le32 blocks_lo;     // blocks of this device; 0 when mkfs did not record it (erofs-utils &lt; 1.6)
 *         __le32 uniaddr_lo;    // first block in the unified address space (mapped_blkaddr)
 *         __le16 blocks_hi;     // with EROFS_FEATURE_INCOMPAT_48BIT
 *         __le16 uniaddr_hi;    // with EROFS_FEATURE_INCOMPAT_48BIT
 *         u8     reserved[52];
 * };   // EROFS_DEVT_SLOT_SIZE 128
 * </pre>
 *
 * @param slot 1 for the first extra device (the image itself is device 0)
 * @param blocks the device's size in blocks; 0 when unknown
 * @param uniaddr the device's first block in the unified address space
 */
public record ErofsDevice(int slot, byte[] tag, long blocks, long uniaddr) {

    public ErofsDevice {
        tag = tag.clone();
    }

    @Override
    public byte[] tag() {
        return tag.clone();
    }

    /** The tag up to its first NUL as printable text, or {@code hex:…} when it is binary. */
    public String tagText() {
        int len = 0;
        while (len < tag.length && tag[len] != 0) {
            len++;
        }
        for (int i = 0; i < len; i++) {
            if (tag[i] < 0x20 || tag[i] > 0x7e) {
                return "hex:" + HexFormat.of().formatHex(tag, 0, len);
            }
        }
        return new String(tag, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErofsDevice d && d.slot == slot && d.blocks == blocks && d.uniaddr == uniaddr
                && Arrays.equals(d.tag, tag);
    }

    @Override
    public int hashCode() {
        return (slot * 31 + Long.hashCode(blocks)) * 31 + Arrays.hashCode(tag);
    }

    @Override
    public String toString() {
        return "ErofsDevice[slot=" + slot + ", tag=" + tagText() + ", blocks=" + blocks + ", uniaddr=" + uniaddr + "]";
    }
}
