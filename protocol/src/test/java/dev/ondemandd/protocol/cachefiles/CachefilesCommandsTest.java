package dev.ondemandd.protocol.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CachefilesCommandsTest {

    @Test
    void formatsTheSetupCommands() {
        assertThat(CachefilesCommands.dir("/var/cache/ondemandd")).isEqualTo("dir /var/cache/ondemandd");
        assertThat(CachefilesCommands.tag("ondemandd")).isEqualTo("tag ondemandd");
        assertThat(CachefilesCommands.BIND_ONDEMAND).isEqualTo("bind ondemand");
        assertThat(CachefilesCommands.RESTORE).isEqualTo("restore");
    }

    @Test
    void pathsMayHoldInnerSpacesBecauseTheKernelTakesTheRestOfTheLine() {
        assertThat(CachefilesCommands.dir("/srv/my cache")).isEqualTo("dir /srv/my cache");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " /lead", "\t/lead", "/a\nb", "/a\0b"})
    void refusesArgumentsTheKernelWouldCutOrStrip(String arg) {
        assertThatThrownBy(() -> CachefilesCommands.dir(arg)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachefilesCommands.tag(arg)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesCommandsLongerThanAPageMinusOne() {
        String fits = "/" + "a".repeat(CachefilesConstants.COMMAND_MAX_BYTES - "dir /".length());
        assertThat(CachefilesCommands.dir(fits)).hasSize(CachefilesConstants.COMMAND_MAX_BYTES);
        assertThatThrownBy(() -> CachefilesCommands.dir(fits + "a")).isInstanceOf(IllegalArgumentException.class);
        // Multi-byte characters count in bytes, as the kernel sees them.
        String wide = "/" + "é".repeat(CachefilesConstants.COMMAND_MAX_BYTES / 2);
        assertThatThrownBy(() -> CachefilesCommands.dir(wide)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void copenCarriesASizeOrANegativeErrno() {
        assertThat(CachefilesCommands.copenSize(7, 1 << 20)).isEqualTo("copen 7,1048576");
        assertThat(CachefilesCommands.copenSize(7, 0)).isEqualTo("copen 7,0");
        assertThat(CachefilesCommands.copenError(9, 2)).isEqualTo("copen 9,-2");
        assertThat(CachefilesCommands.copenError(9, 4095)).isEqualTo("copen 9,-4095");
        assertThat(CachefilesCommands.copen(3, -22)).isEqualTo("copen 3,-22");
        assertThat(CachefilesCommands.copenSize(1, Long.MAX_VALUE)).isEqualTo("copen 1," + Long.MAX_VALUE);
    }

    @Test
    void copenWritesMsgIdUnsigned() {
        assertThat(CachefilesCommands.copenSize(-1, 5)).isEqualTo("copen 4294967295,5");
    }

    @Test
    void copenRefusesValuesTheKernelWouldTurnIntoEinval() {
        assertThatThrownBy(() -> CachefilesCommands.copen(1, -4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachefilesCommands.copenError(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachefilesCommands.copenError(1, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachefilesCommands.copenSize(1, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusedCommandsSayWhatToDo() {
        assertThat(CachefilesCommands.failure("bind ondemand", 22)).isEqualTo("cachefiles command 'bind ondemand'"
                + " (no cache directory was set, or the kernel lacks CONFIG_CACHEFILES_ONDEMAND)");
        assertThat(CachefilesCommands.failure("restore", 95)).contains("restore needs Linux 6.8+");
        assertThat(CachefilesCommands.failure("copen 3,0", 22)).contains("not an outstanding request");
        assertThat(CachefilesCommands.failure("tag x", 17)).contains("once per open");
        assertThat(CachefilesCommands.failure("copen 3,0", 5)).isEqualTo("cachefiles command 'copen 3,0'");
    }
}
