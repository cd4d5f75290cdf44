package dev.ondemandd.daemon.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelVersionTest {

    @ParameterizedTest
    @CsvSource({
        "6.18.44-fc-v657,   6, 18, 44, 0",
        "6.0.0-rc4,         6,  0,  0, 4",
        "6.0-rc4,           6,  0,  0, 4",
        "5.19.0-41-generic, 5, 19,  0, 0",
        "6.1,               6,  1,  0, 0",
        "6.12.0+,           6, 12,  0, 0",
        "7.2.0-rc1-next-20261101, 7, 2, 0, 1",
    })
    void parsesWhatUnameRPrints(String release, int major, int minor, int patch, int rc) {
        KernelVersion v = KernelVersion.parse(release);

        assertThat(v).extracting(KernelVersion::major, KernelVersion::minor, KernelVersion::patch, KernelVersion::rc)
                .containsExactly(major, minor, patch, rc);
        assertThat(v.release()).isEqualTo(release);
    }

    @Test
    void releaseCandidatesPrecedeTheirRelease() {
        assertThat(KernelVersion.parse("6.0-rc3")).isLessThan(KernelVersion.parse("6.0-rc4"));
        assertThat(KernelVersion.parse("6.0-rc4")).isLessThan(KernelVersion.parse("6.0"));
        assertThat(KernelVersion.parse("6.0")).isLessThan(KernelVersion.parse("6.0.1"));
        assertThat(KernelVersion.parse("5.19.17")).isLessThan(KernelVersion.parse("6.0-rc1"));
        assertThat(KernelVersion.parse("6.10")).isGreaterThan(KernelVersion.parse("6.9.12"));
        assertThat(KernelVersion.parse("6.0.0-rc4").atLeast(KernelVersion.of(6, 0, 0, 4))).isTrue();
    }

    @Test
    void rejectsWhatIsNotARelease() {
        assertThatThrownBy(() -> KernelVersion.parse("linux")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelVersion.parse("6")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelVersion.parse("99999.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KernelVersion.parse("6.1" + "x".repeat(300)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer");
    }

    @Test
    void readsTheRunningKernel() throws IOException {
        assertThat(KernelVersion.running().major()).isGreaterThanOrEqualTo(5);
    }
}
