package dev.ondemandd.daemon.systemd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** systemd accepts the unit as install.sh installs it: systemd/verify.sh runs systemd-analyze verify. */
class SystemdUnitTest {

    private static final int SKIPPED = 77;

    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void systemdAnalyzeVerifyAcceptsTheUnit() throws Exception {
        assumeTrue(Files.isExecutable(REPO.resolve("bin/ondemandd")), "the launcher bin/ondemandd is not in the tree");
        Process verify = new ProcessBuilder("bash", REPO.resolve("systemd/verify.sh").toString())
                .redirectErrorStream(true).start();
        assertThat(verify.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assumeTrue(verify.exitValue() != SKIPPED, "systemd-analyze is not installed: " + output);

        assertThat(verify.exitValue()).as(output).isZero();
        assertThat(output).contains("verify (ondemandd.service): ok", "verify (with strict-sandbox.conf): ok");
    }

    @Test
    void theUnitIsANotifyServiceThatKeepsItsFdsAndRestarts() throws Exception {
        String unit = Files.readString(REPO.resolve("systemd/ondemandd.service"));

        assertThat(unit.lines()).contains("Type=notify", "NotifyAccess=main", "Restart=on-failure",
                "FileDescriptorStorePreserve=yes", "NoNewPrivileges=yes",
                "CapabilityBoundingSet=CAP_SYS_ADMIN CAP_DAC_READ_SEARCH");
        assertThat(unit.lines().filter(l -> l.startsWith("WatchdogSec="))).hasSize(1);
        assertThat(unit.lines().filter(l -> l.startsWith("FileDescriptorStoreMax="))).hasSize(1);
    }
}
