package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CachefilesConstantsTest {

    @Test
    void readCompleteIoctlIsIowOf0x98Nr1Int() {
        // include/uapi/linux/cachefiles.h: #define CACHEFILES_IOC_READ_COMPLETE _IOW(0x98, 1, int)
        assertThat(CachefilesConstants.IOC_READ_COMPLETE).isEqualTo(0x40049801);
    }

    @Test
    void iowEncodesDirectionSizeTypeAndNumber() {
        // FS_IOC_SETFLAGS is _IOW('f', 2, long) = 0x40086602 on 64-bit: a second, independent known value.
        assertThat(CachefilesConstants.ioW('f', 2, 8)).isEqualTo(0x40086602);
        assertThatThrownBy(() -> CachefilesConstants.ioW(0x100, 1, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachefilesConstants.ioW(0x98, 1, 1 << 14)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void structSizesMatchTheUapiHeader() {
        assertThat(CachefilesConstants.MSG_MAX_SIZE).isEqualTo(1024).isEqualTo(CachefilesDevice.MSG_MAX_SIZE);
        assertThat(CachefilesConstants.MSG_HEADER_SIZE).isEqualTo(4 * Integer.BYTES);
        assertThat(CachefilesConstants.OPEN_KEYS_OFFSET).isEqualTo(32);
        assertThat(CachefilesConstants.READ_MSG_SIZE).isEqualTo(16 + 2 * Long.BYTES);
        assertThat(CachefilesConstants.CLOSE_MSG_SIZE).isEqualTo(16);
        assertThat(new int[] {CachefilesConstants.OP_OPEN, CachefilesConstants.OP_CLOSE, CachefilesConstants.OP_READ})
                .containsExactly(0, 1, 2);
    }

    @Test
    void opcodeNamesAreMetricLabels() {
        assertThat(CachefilesConstants.opcodeName(0)).isEqualTo("open");
        assertThat(CachefilesConstants.opcodeName(1)).isEqualTo("close");
        assertThat(CachefilesConstants.opcodeName(2)).isEqualTo("read");
        assertThat(CachefilesConstants.opcodeName(7)).isEqualTo("unknown");
    }
}
