package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Cache space and lost objects on the real kernel in the VM ({@code test-images/guest/cachefiles-space.sh}):
 * the cache filesystem below {@code cachefiles.bstop} (the kernel's ENOBUFS), {@code cachefiles.quota} culling with
 * {@code inuse}/{@code cull}, and a READ for an object the daemon never opened, provoked by exec()ing the daemon
 * from a process that holds the object's anon fd. One boot; each test asserts the guest's verdicts.
 */
@Tag("vm")
class CachefilesSpaceKernelTest {

    /** Three daemon starts and a 64 MiB read under TCG: about 5 minutes at a load of 10-30 on the build machine. */
    private static final Duration VM_TIMEOUT = Duration.ofMinutes(20);

    private static GuestRun run;

    @BeforeAll
    static void bootOnce() throws Exception {
        run = GuestRun.boot("vm-space", "guest/cachefiles-space.sh", VM_TIMEOUT);
    }

    @Test
    void belowBstopTheKernelRefusesWritesAndReadersGetEioAtOnceWithOneLogLine() {
        assertThat(run.report().kernel()).endsWith("-ondemandd");
        run.assertPassed("space-daemon-binds");
        run.assertPassed("space-fill-below-bstop");
        run.assertPassed("space-full-reader-gets-eio");
        run.assertPassed("space-full-one-log-line");
    }

    @Test
    void whileTheCacheIsFullWhatIsCachedIsStillServed() {
        run.assertPassed("space-small-cached");
        run.assertPassed("space-full-cached-image-still-served");
    }

    @Test
    void onceSpaceReturnsTheSameFileReadsRightFromTheDaemonAndFromTheCacheFile() {
        run.assertPassed("space-room-again-reads-right");
        run.assertPassed("space-daemon-stops");
    }

    @Test
    void theQuotaCullsIdleObjectsNeverOnesInUseAndACulledImageIsFetchedAgainRight() {
        run.assertPassed("quota-daemon-binds");
        run.assertPassed("quota-culls-idle-keeps-in-use");
        run.assertPassed("quota-culled-image-reads-right-again");
        run.assertPassed("quota-daemon-stops");
    }

    @Test
    void aReadForAnObjectTheDaemonNeverOpenedIsCompletedThroughTheAnonFdItInherited() {
        run.assertPassed("orphan-read-completed-through-inherited-fd");
        run.assertPassed("orphan-daemon-stops");
    }
}
