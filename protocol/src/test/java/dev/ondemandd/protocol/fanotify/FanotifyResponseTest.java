package dev.ondemandd.protocol.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FanotifyResponseTest {

    @Test
    void constantsMatchTheKernelHeader() {
        // include/uapi/linux/fanotify.h (6.14+)
        assertThat(Fanotify.FAN_CLASS_PRE_CONTENT).isEqualTo(0x8);
        assertThat(Fanotify.FAN_CLOEXEC).isEqualTo(0x1);
        assertThat(Fanotify.FAN_PRE_ACCESS).isEqualTo(0x00100000L);
        assertThat(Fanotify.FAN_MARK_ADD).isEqualTo(0x1);
        assertThat(Fanotify.FAN_Q_OVERFLOW).isEqualTo(0x4000L);
        assertThat(Fanotify.METADATA_VERSION).isEqualTo(3);
        assertThat(Fanotify.EVENT_METADATA_LEN).isEqualTo(4 + 1 + 1 + 2 + 8 + 4 + 4);
        assertThat(Fanotify.INFO_TYPE_RANGE).isEqualTo(6);
        assertThat(Fanotify.INFO_RANGE_LEN).isEqualTo(4 + 4 + 8 + 8);
        assertThat(Fanotify.RESPONSE_LEN).isEqualTo(8);
        assertThat(Fanotify.FAN_ALLOW).isEqualTo(1);
        assertThat(Fanotify.FAN_DENY).isEqualTo(2);
    }

    @Test
    void denyErrnoPutsTheErrnoInTheTopByte() {
        assertThat(Fanotify.denyErrno(5)).isEqualTo(0x05000002);
        assertThat(FanotifyResponse.deny(3, 5).response()).isEqualTo(0x05000002);
        assertThatThrownBy(() -> Fanotify.denyErrno(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fanotify.denyErrno(256)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encodesFdThenResponseInNativeOrder() {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN);
        FanotifyResponse.allow(42).encode(b);
        assertThat(b.position()).isEqualTo(8);
        assertThat(b.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        b.order(ByteOrder.nativeOrder());
        assertThat(b.getInt(0)).isEqualTo(42);
        assertThat(b.getInt(4)).isEqualTo(Fanotify.FAN_ALLOW);
    }

    @Test
    void aResponseNeedsARealFd() {
        assertThatThrownBy(() -> FanotifyResponse.allow(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
