package dev.ondemandd.protocol.cachefiles.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.protocol.nativeio.Errno;
import org.junit.jupiter.api.Test;

class KernelNumbersTest {

    @Test
    void baseZeroAcceptsDecimalHexAndOctal() throws Exception {
        assertThat(KernelNumbers.kstrtoul("42")).isEqualTo(42);
        assertThat(KernelNumbers.kstrtoul("0x2A")).isEqualTo(42);
        assertThat(KernelNumbers.kstrtoul("052")).isEqualTo(42);
        assertThat(KernelNumbers.kstrtoul("0")).isZero();
        assertThat(KernelNumbers.kstrtoul("+7\n")).isEqualTo(7);
        assertThat(KernelNumbers.kstrtol("-4095")).isEqualTo(-4095);
        assertThat(KernelNumbers.kstrtol("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(KernelNumbers.kstrtoul("18446744073709551615")).isEqualTo(-1L);
    }

    @Test
    void malformedIsEinvalAndOverflowIsErange() {
        for (String bad : new String[] {"", "-", "0x", "12a", "-1 ", " 1", "٣"}) {
            assertThatThrownBy(() -> KernelNumbers.kstrtol(bad)).as(bad)
                    .isInstanceOfSatisfying(KernelNumbers.ParseError.class, e -> assertThat(e.errno).isEqualTo(Errno.EINVAL));
        }
        assertThatThrownBy(() -> KernelNumbers.kstrtoul("-1"))
                .isInstanceOfSatisfying(KernelNumbers.ParseError.class, e -> assertThat(e.errno).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> KernelNumbers.kstrtoul("18446744073709551616"))
                .isInstanceOfSatisfying(KernelNumbers.ParseError.class, e -> assertThat(e.errno).isEqualTo(Errno.ERANGE));
        assertThatThrownBy(() -> KernelNumbers.kstrtol("9223372036854775808"))
                .isInstanceOfSatisfying(KernelNumbers.ParseError.class, e -> assertThat(e.errno).isEqualTo(Errno.ERANGE));
    }
}
