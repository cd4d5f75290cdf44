package dev.ondemandd.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Telling a restart from a stop by the unit's job, as {@code systemctl list-jobs --plain --no-legend} prints it
 * while ExecStop= runs. A script on disk plays systemctl (no systemd runs as PID 1 on the test machines); the
 * lines are systemd 252's format.
 */
class UnitJobTest {

    private static final String UNIT = "ondemandd.service";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private String systemctl(String body) throws IOException {
        Path script = dir.resolve("systemctl");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script.toString();
    }

    @Test
    void theUnitsJobTypeSaysRestartOrStop() throws Exception {
        assertThat(UnitJob.parse("4711 ondemandd.service restart running\n", UNIT)).isEqualTo(UnitJob.Kind.RESTART);
        assertThat(UnitJob.parse("12 ondemandd.service try-restart running\n", UNIT)).isEqualTo(UnitJob.Kind.RESTART);
        assertThat(UnitJob.parse("88 shutdown.target start waiting\n9 ondemandd.service stop running\n", UNIT))
                .isEqualTo(UnitJob.Kind.STOP);
        assertThat(UnitJob.parse("5 ondemandd.service start running\n", UNIT)).isEqualTo(UnitJob.Kind.OTHER);
    }

    @Test
    void noJobForTheUnitIsNone() throws Exception {
        assertThat(UnitJob.parse("", UNIT)).isEqualTo(UnitJob.Kind.NONE);
        assertThat(UnitJob.parse("No jobs running.\n", UNIT)).isEqualTo(UnitJob.Kind.NONE);
        assertThat(UnitJob.parse("7 ondemandd-other.service restart running\n", UNIT))
                .as("another unit whose name starts alike").isEqualTo(UnitJob.Kind.NONE);
    }

    @Test
    void outputThatIsNotListJobsIsNotTrusted() {
        assertThatThrownBy(() -> UnitJob.parse("JOB UNIT TYPE STATE\n1 ondemandd.service restart running\n", UNIT))
                .isInstanceOf(IOException.class).hasMessageContaining("not a job");
        assertThatThrownBy(() -> UnitJob.parse("Failed to connect to bus: No such file or directory\n", UNIT))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> UnitJob.parse("1 ondemandd.service restart running\n2 ondemandd.service stop "
                + "waiting\n", UNIT)).isInstanceOf(IOException.class).hasMessageContaining("two jobs");
    }

    @Test
    void systemctlIsAskedAndItsFailuresAreErrors() throws Exception {
        assertThat(UnitJob.of(systemctl("[ \"$*\" = 'list-jobs --plain --no-legend --full --no-pager' ] || exit 64\n"
                + "echo '3 ondemandd.service restart running'"), UNIT, TIMEOUT)).isEqualTo(UnitJob.Kind.RESTART);
        assertThatThrownBy(() -> UnitJob.of(systemctl("echo 'System has not been booted with systemd' >&2; exit 1"),
                UNIT, TIMEOUT)).isInstanceOf(IOException.class).hasMessageContaining("exited 1")
                .hasMessageContaining("not been booted");
        assertThatThrownBy(() -> UnitJob.of(dir.resolve("absent").toString(), UNIT, TIMEOUT))
                .isInstanceOf(IOException.class);
    }

    @Test
    void aHungSystemctlIsKilledAtTheTimeout() throws Exception {
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> UnitJob.of(systemctl("exec sleep 60"), UNIT, Duration.ofMillis(500)))
                .isInstanceOf(IOException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void onlyUnitNamesAreAskedAbout() {
        assertThat(UnitJob.validUnit("ondemandd.service")).isTrue();
        assertThat(UnitJob.validUnit("ondemandd@a\\x2db.service")).isTrue();
        assertThat(UnitJob.validUnit("ondemandd.service; rm -rf /")).isFalse();
        assertThat(UnitJob.validUnit("")).isFalse();
        assertThatThrownBy(() -> UnitJob.of("systemctl", "-H evil", TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
