package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code test-images/fdstore-holder.py}, the systemd stand-in of the failover test, against the daemon's own
 * sd_notify and LISTEN_FDS code ({@link HolderProbe}), natively: a stored fd survives the failed process and
 * comes back to the restarted one as fd 3 named as stored, duplicates are dropped, and a clean exit ends the
 * service. No VM, no root.
 */
class FdstoreHolderTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Test
    void aStoredFdComesBackToTheRestartedServiceUnderItsName(@TempDir Path dir) throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux"), "the fd store is Linux's SCM_RIGHTS");
        TestImages images = TestImages.locate();
        Path file = Files.writeString(dir.resolve("stored"), "first run");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

        TestImages.Result holder = images.run(TIMEOUT, dir.resolve("holder.log"), Map.of(), line -> { }, true,
                "python3", images.script("fdstore-holder.py").toString(), "--restart-sec", "0", "--",
                java, "-cp", System.getProperty("java.class.path"), HolderProbe.class.getName(), file.toString());

        String log = String.join("\n", holder.lines());
        assertThat(holder.exitCode()).as(log).isZero();
        assertThat(Files.readString(file)).isEqualTo("first run" + HolderProbe.APPENDED);
        assertThat(log)
                .contains("stored fd 'probe' (1 stored)", "fd 'probe' is already stored; duplicate closed")
                .containsPattern("pid \\d+ exited with status " + HolderProbe.FIRST_RUN_STATUS + "; restarting")
                .containsPattern("started pid \\d+ \\(start 2\\) with 1 stored fd\\(s\\): probe")
                .contains("took fd 3 named probe", "READY=1 STATUS=took fd 3 back of 1")
                .containsPattern("pid \\d+ exited with status 0; not restarting")
                .contains("releasing 1 stored fd(s)");
    }
}
