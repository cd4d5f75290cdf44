package dev.ondemandd.kerneltests;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of {@code ondemandd run} while readers are blocked on cold data, on the real kernel (issue 6's
 * failover test, issue 8's cachefiles kill test). One VM boot runs {@code test-images/guest/cachefiles-failover.sh}:
 * <ul>
 * <li><b>failover</b>: the daemon runs under {@code test-images/fdstore-holder.py}, which stands in for systemd
 * (notify socket, fd store, restart on failure, fds handed back through LISTEN_FDS). Each round kills the daemon
 * mid-read; the new one takes the /dev/cachefiles fd back and writes {@code restore}; every reader must finish
 * with the right sha256 and none may see an error.</li>
 * <li><b>no holder</b>: each round kills a lone daemon mid-read; every blocked reader must return at once (EIO or
 * ENOBUFS, or the right bytes), none may hang, and the next daemon must bind and read the killed round's images
 * right after a remount.</li>
 * <li><b>hand-over</b>: a plain stop (SIGTERM, as {@code systemctl restart}) under the holder, while readers wait
 * on an image mounted at runtime over the control socket: the daemon leaves what it has not fetched to the kernel
 * and exits 0; the next one takes the runtime mount back from its state file, writes {@code restore}, and every
 * reader finishes with the right bytes, none with an error.</li>
 * <li><b>supervise</b>: the same rounds (at most 2) under {@code ondemandd supervise} holding the device fd; a
 * SIGTERM to the supervisor itself is a full stop that unbinds the cache.</li>
 * </ul>
 * Each round is one check; the summaries carry the figures (rounds, bytes verified, restart and error latencies).
 * Skipped only where a VM cannot be had, as {@link CachefilesKernelTest}.
 */
@Tag("vm")
class CachefilesFailoverKernelTest {

    /** Rounds of each part: issue 8 asks for 20 kills; ONDEMANDD_FAILOVER_ROUNDS changes it for a quick local run. */
    static final int ROUNDS = Integer.parseInt(System.getenv().getOrDefault("ONDEMANDD_FAILOVER_ROUNDS", "20"));
    /** The guest script's hand-over rounds: as many as the others, at most 5 (a plain stop is one code path). */
    static final int HANDOVER_ROUNDS = Math.min(ROUNDS, 5);
    /** The guest script's rounds under supervise: at most 2. */
    static final int SUPERVISE_ROUNDS = Math.min(HANDOVER_ROUNDS, 2);
    /** 42 daemon starts under TCG on 2 shared cores: minutes when the machine is idle, far more under load. */
    private static final Duration VM_TIMEOUT = Duration.ofMinutes(55);

    private static GuestReport report;
    private static TestImages.Result vm;

    @BeforeAll
    static void killTheDaemonMidReadInOneBoot() throws Exception {
        TestImages.assumeVmPossible();
        TestImages images = TestImages.locate();
        Path out = Path.of("target", "vm-failover").toAbsolutePath();
        Map<String, String> env = Map.of("JAVA_HOME", System.getProperty("java.home"),
                "VM_TIMEOUT", Long.toString(VM_TIMEOUT.toSeconds() - 60),
                "VMTEST_FAILOVER_ROUNDS", Integer.toString(ROUNDS));
        // the images CachefilesKernelTest builds too (make-images reuses them while their recipe is unchanged)
        Path manifest = images.prepareVm(Path.of("target", "vm").toAbsolutePath(), env);
        vm = images.run(VM_TIMEOUT, out.resolve("cachefiles-failover.log"), env,
                line -> {
                    if (line.startsWith("@@CHECK") || line.startsWith("vm-run") || line.contains(" part: ")) {
                        System.out.println(line);
                    }
                }, true, images.script("vm-run").toString(),
                images.script("guest/cachefiles-failover.sh").toString(), images.daemonJar().toString(),
                manifest.getParent().toString(), images.script("fdstore-holder.py").toString());
        report = GuestReport.parse(vm.lines());
        System.out.printf("failover VM run: exit %d after %.0f s; log %s%n", vm.exitCode(),
                vm.elapsed().toMillis() / 1000.0, vm.log());
        for (Map.Entry<String, String> log : report.logs().entrySet()) {
            Files.writeString(out.resolve(log.getKey() + ".log"), log.getValue());
        }
    }

    private static void assertPassed(String name) {
        report.assertPassed(name, vm);
    }

    private static List<String> rounds(String part) {
        int rounds = switch (part) {
            case "handover" -> HANDOVER_ROUNDS;
            case "supervise" -> SUPERVISE_ROUNDS;
            default -> ROUNDS;
        };
        return IntStream.rangeClosed(1, rounds).mapToObj(r -> "%s-round-%02d".formatted(part, r)).toList();
    }

    @Test
    void theDaemonServesTheSlowSourceAndWritesAnAotCacheForTheRestarts() {
        assertThat(report.kernel()).as("the guest runs the project's test kernel").endsWith("-ondemandd");
        assertPassed("warm-up");
    }

    @Test
    void withTheDeviceFdHeldEveryReaderOfEveryKilledRoundFinishesWithTheRightBytes() {
        assertPassed("failover-holder-starts");
        rounds("failover").forEach(CachefilesFailoverKernelTest::assertPassed);
        assertPassed("failover-rounds");
        assertThat(report.check("failover-rounds").orElseThrow().detail())
                .as("the holder restarted the daemon once per round").startsWith(ROUNDS + " rounds");
    }

    @Test
    void stoppingTheHolderStopsTheDaemonAndReleasesTheCache() {
        assertPassed("failover-holder-stops");
    }

    @Test
    void withoutAHolderEveryBlockedReaderReturnsAtOnceAndNoneHangs() {
        rounds("noholder").forEach(CachefilesFailoverKernelTest::assertPassed);
        assertPassed("noholder-rounds");
    }

    @Test
    void aSigtermWithTheFdHeldHandsOverAndEveryReaderOfARuntimeMountedImageFinishesRight() {
        assertPassed("handover-holder-starts");
        assertPassed("handover-control");
        rounds("handover").forEach(CachefilesFailoverKernelTest::assertPassed);
        assertPassed("handover-rounds");
        assertPassed("handover-holder-stops");
        assertThat(report.check("handover-rounds").orElseThrow().detail())
                .as("the daemons left READs to their successors").startsWith(HANDOVER_ROUNDS + " rounds")
                .doesNotContain(" 0 READs left");
    }

    @Test
    void underSuperviseASigtermToTheWorkerHandsOverAndOneToTheSupervisorStopsInFull() {
        assertPassed("supervise-starts");
        assertPassed("supervise-control");
        rounds("supervise").forEach(CachefilesFailoverKernelTest::assertPassed);
        assertPassed("supervise-rounds");
        assertPassed("supervise-stops");
    }

    @Test
    void afterEveryKillANewDaemonBindsAndReadsTheKilledRoundsImagesRight() {
        assertPassed("noholder-final-remount");
    }
}
