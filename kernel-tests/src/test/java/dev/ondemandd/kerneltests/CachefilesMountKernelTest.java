package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code ondemandd mount} / {@code umount} with a running cachefiles daemon, on the real kernel in the VM
 * ({@code test-images/guest/cachefiles-mount.sh}): the daemon starts with no sources; each mount registers the
 * image's cookies over the control socket and mounts EROFS with {@code fsid=}, {@code device=} and
 * {@code domain_id=}; each umount unmounts and forgets them. One boot; each test asserts the guest's verdicts.
 */
@Tag("vm")
class CachefilesMountKernelTest {

    /**
     * One daemon start and about ten CLI starts, each a JVM under TCG: 10-16 minutes at a load of 10-30 on the
     * 2-core build machine.
     */
    private static final Duration VM_TIMEOUT = Duration.ofMinutes(30);

    private static GuestRun run;

    @BeforeAll
    static void bootOnce() throws Exception {
        run = GuestRun.boot("vm-mount", "guest/cachefiles-mount.sh", VM_TIMEOUT);
    }

    @Test
    void aDaemonWithNoSourcesServesAnImageMountedThroughIt() {
        assertThat(run.report().kernel()).endsWith("-ondemandd");
        run.assertPassed("daemon-serves");
        run.assertPassed("mount-chunked-via-daemon");
        run.assertPassed("status-lists-runtime-image");
    }

    @Test
    void anFsidAndSeveralDeviceBlobsAreMountedAsGiven() {
        run.assertPassed("mount-layers-with-fsid");
    }

    @Test
    void twoMountsInOneDomainShareTheirCommonBlob() {
        run.assertPassed("domain-shares-blob");
    }

    @Test
    void aMountTheDaemonCannotServeIsRefusedAndLeavesNothingMounted() {
        run.assertPassed("same-fsid-twice-refused");
        run.assertPassed("missing-image-refused");
    }

    @Test
    void umountThroughTheDaemonClosesEveryObjectAndTheImageMountsAgain() {
        run.assertPassed("umount-via-daemon");
        run.assertPassed("remount-after-umount");
    }

    @Test
    void drainOverTheControlSocketStopsTheDaemonCleanly() {
        run.assertPassed("drain-stops-daemon");
    }
}
