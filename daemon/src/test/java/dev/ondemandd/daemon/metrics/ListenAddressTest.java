package dev.ondemandd.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ListenAddressTest {

    @Test
    void parsesHostPortForms() {
        assertThat(ListenAddress.parse("127.0.0.1:9477")).isEqualTo(new InetSocketAddress("127.0.0.1", 9477));
        assertThat(ListenAddress.parse("[::1]:9477")).isEqualTo(new InetSocketAddress("::1", 9477));
        assertThat(ListenAddress.parse(":9477")).isEqualTo(new InetSocketAddress(9477));
    }

    @ParameterizedTest
    @ValueSource(strings = {"9477", "127.0.0.1", "127.0.0.1:0x10", "127.0.0.1:70000", "::1:9477", "host:-1", ""})
    void rejectsTheRestSayingWhatFits(String text) {
        assertThatThrownBy(() -> ListenAddress.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("HOST:PORT");
    }

    @Test
    void errnoLabelsAreBounded() {
        assertThat(ErrnoLabel.of(2)).isEqualTo("ENOENT");
        assertThat(ErrnoLabel.of(-5)).isEqualTo("EIO");
        assertThat(ErrnoLabel.of(200)).isEqualTo("errno_200");
        assertThat(ErrnoLabel.of(100_000)).isEqualTo("invalid");
        assertThat(ErrnoLabel.of(Integer.MIN_VALUE)).isEqualTo("invalid");
    }
}
