package dev.ondemandd.protocol.erofs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErofsSuperblockTest {

    /** An image head as mkfs.erofs lays it out: 4 KiB blocks, a device table at slot offset 9. */
    static ByteBuffer image(int extra, int slotoff, int incompat) {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        int sb = ErofsSuperblock.SUPERBLOCK_OFFSET;
        b.putInt(sb, ErofsSuperblock.MAGIC).put(sb + 12, (byte) 12).putInt(sb + 36, 1).putInt(sb + 80, incompat)
                .putShort(sb + 86, (short) extra).putShort(sb + 88, (short) slotoff);
        for (int i = 0; i < extra && slotoff * 128 + (i + 1) * 128 <= 4096; i++) {
            int slot = slotoff * 128 + i * 128;
            byte[] tag = ("layer" + (i + 1)).getBytes(StandardCharsets.US_ASCII);
            b.put(slot, tag).putInt(slot + 64, 100 * (i + 1)).putInt(slot + 68, 1000 * (i + 1))
                    .putShort(slot + 72, (short) 1).putShort(slot + 74, (short) 2);
        }
        return b;
    }

    @Test
    void readsTheDeviceTable() throws Exception {
        ErofsSuperblock sb = ErofsSuperblock.parse(image(2, 9, 0xc), 4096);
        assertThat(sb.blockSize()).isEqualTo(4096);
        assertThat(sb.blocks()).isEqualTo(1);
        assertThat(sb.devices()).hasSize(2);
        ErofsDevice second = sb.devices().get(1);
        assertThat(second.slot()).isEqualTo(2);
        assertThat(second.tagText()).isEqualTo("layer2");
        assertThat(second.blocks()).as("blocks_hi ignored without 48BIT").isEqualTo(200);
        assertThat(second.uniaddr()).isEqualTo(2000);
        assertThat(sb.deviceBytes(second)).isEqualTo(200L * 4096);
    }

    @Test
    void the48BitLayoutAddsTheHighHalves() throws Exception {
        ErofsDevice d = ErofsSuperblock.parse(image(1, 9, ErofsSuperblock.FEATURE_INCOMPAT_48BIT), 4096).devices()
                .get(0);
        assertThat(d.blocks()).isEqualTo((1L << 32) + 100);
        assertThat(d.uniaddr()).isEqualTo((2L << 32) + 1000);
    }

    @Test
    void anImageWithoutExtraDevicesHasNone() throws Exception {
        assertThat(ErofsSuperblock.parse(image(0, 0, 0), 4096).devices()).isEmpty();
    }

    @Test
    void unknownDeviceSizeIsMinusOne() throws Exception {
        ByteBuffer b = image(1, 9, 0);
        b.putInt(9 * 128 + 64, 0);
        ErofsSuperblock sb = ErofsSuperblock.parse(b, 4096);
        assertThat(sb.deviceBytes(sb.devices().get(0))).isEqualTo(-1);
    }

    @Test
    void rejectsWhatCannotBeTrusted() {
        assertThatThrownBy(() -> ErofsSuperblock.parse(ByteBuffer.allocate(1100), 1100))
                .isInstanceOf(MalformedImageException.class).hasMessageContaining("too short");
        ByteBuffer badMagic = image(1, 9, 0).putInt(1024, 0x12345678);
        assertThatThrownBy(() -> ErofsSuperblock.parse(badMagic, 4096)).hasMessageContaining("bad magic");
        ByteBuffer badBits = image(1, 9, 0).put(1024 + 12, (byte) 40);
        assertThatThrownBy(() -> ErofsSuperblock.parse(badBits, 4096)).hasMessageContaining("blkszbits 40");
        ByteBuffer overlapping = image(1, 9, 0).putShort(1024 + 88, (short) 8);
        assertThatThrownBy(() -> ErofsSuperblock.parse(overlapping, 4096)).hasMessageContaining("overlaps");
        assertThatThrownBy(() -> ErofsSuperblock.parse(image(2, 9, 0), 1300)).hasMessageContaining("past the image");
        assertThatThrownBy(() -> ErofsSuperblock.parse(image(0xffff, 0xffff, 0), Long.MAX_VALUE))
                .hasMessageContaining("beyond the 4096 bytes read");
    }

    @Test
    void arbitraryHeadsNeverThrowAnythingButMalformedImage() {
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < 20_000; i++) {
            ByteBuffer b = image(r.nextInt(4), r.nextInt(40), r.nextInt());
            for (int c = r.nextInt(6); c > 0; c--) {
                b.put(1024 + r.nextInt(200), (byte) r.nextInt());
            }
            try {
                ErofsSuperblock sb = ErofsSuperblock.parse(b, r.nextLong(8192));
                assertThat(sb.devices().size()).isLessThanOrEqualTo(4096 / 128);
            } catch (MalformedImageException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            }
        }
    }

    @Test
    void readsAnImageMkfsErofsWrote(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/mkfs.erofs")), "needs mkfs.erofs (apt-get install erofs-utils)");
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.write(src.resolve("f"), new byte[100_000]);
        Process p = new ProcessBuilder("mkfs.erofs", "--chunksize=65536", "--blobdev=" + dir.resolve("blob"),
                dir.resolve("meta").toString(), src.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile()).start();
        assertThat(p.waitFor()).as(() -> {
            try {
                return Files.readString(dir.resolve("log"));
            } catch (IOException e) {
                return e.toString();
            }
        }).isZero();
        byte[] meta = Files.readAllBytes(dir.resolve("meta"));
        ErofsSuperblock sb = ErofsSuperblock.parse(ByteBuffer.wrap(meta), meta.length);
        assertThat(sb.devices()).hasSize(1);
        long bytes = sb.deviceBytes(sb.devices().get(0));
        assertThat(bytes == -1 || bytes == Files.size(dir.resolve("blob"))).as("blob size %d", bytes).isTrue();
    }
}
