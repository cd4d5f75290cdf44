package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ondemandd against a real kernel: {@code ondemandd run} serves the make-images test images over
 * /dev/cachefiles inside a qemu VM booted with the project's test kernel (CACHEFILES_ONDEMAND), and EROFS
 * mounts them in fscache mode. TCG is slow, so the VM boots once: {@code test-images/guest/cachefiles-e2e.sh}
 * runs every check inside and reports each on the console; each test here asserts one of those verdicts.
 *
 * <p>Skipped only where a VM cannot be had (not Linux/x86-64, ONDEMANDD_SKIP_VM set, or a build script
 * reporting that its prerequisites are unavailable). The first run builds the kernel (7-13 minutes on 2 cores).
 */
@Tag("vm")
class CachefilesKernelTest {

    private static final Duration VM_TIMEOUT = Duration.ofMinutes(20);

    private static GuestRun run;

    @BeforeAll
    static void runEveryCheckInOneBoot() throws Exception {
        run = GuestRun.boot("vm", "guest/cachefiles-e2e.sh", VM_TIMEOUT);
    }

    private static void assertPassed(String name) {
        run.assertPassed(name);
    }

    @Test
    void theDaemonBindsDevCachefilesInTheTestKernel() {
        assertThat(run.report().kernel()).as("the guest runs the project's test kernel").endsWith("-ondemandd");
        assertPassed("daemon-binds");
    }

    @Test
    void aChunkedImageWithItsBlobReadsBackEveryFileOfItsSourceTree() {
        assertPassed("chunked-sha256");
    }

    @Test
    void theDaemonHoldsOneAnonFdPerObject() {
        assertPassed("chunked-anon-fds");
        assertPassed("anon-fd-per-object");
    }

    @Test
    void unmountSendsCloseAndTheDaemonClosesEveryAnonFd() {
        assertPassed("umount-closes-anon-fds");
        assertPassed("umount-all-closes-anon-fds");
    }

    @Test
    void theDaemonStopsCleanlyOnSigtermAndANewOneBindsAgain() {
        assertPassed("daemon-stops-cleanly");
        assertPassed("daemon-rebinds");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"single-sha256", "layers-sha256-by-tags", "compressed-sha256", "small-sha256",
            "large-sha256-cold"})
    void everyImageKindReadsBackEveryFileOfItsSourceTree(String check) {
        assertPassed(check);
    }

    @Test
    void twoMountsSharingADomainOpenTheirCommonBlobOnce() {
        assertPassed("domain-shares-blob");
    }

    @Test
    void aRemountReadsFromTheCacheAndFetchesNothing() {
        assertPassed("remount-reads-cache-only");
    }

    @Test
    void anOpenForAnUnknownBlobFailsTheMountInsteadOfHanging() {
        assertPassed("unknown-blob-fails-mount");
    }

    @Test
    void aSourceFailingMidReadGivesTheReaderEioWithinTheDeadline() {
        assertPassed("source-failure-gives-eio");
    }

    @Test
    void aSourceHangingMidReadGivesTheReaderEioAtTheReadDeadline() {
        assertPassed("hanging-source-gives-eio-at-deadline");
    }

    @Test
    void sigtermDuringReadsLetsEveryReaderFinishOrFailWithEioAndNothingHangs() {
        assertPassed("sigterm-during-reads");
    }

    @Test
    void theRunRecordsATraceOfWhatTheKernelAsked() {
        assertThat(run.report().traces()).as("traces printed by the guest").containsKey("chunked");
        assertThat(run.report().traces().get("chunked")).contains("\"op\":\"open\"").contains("\"op\":\"read\"")
                .contains("\"op\":\"close\"");
    }
}
