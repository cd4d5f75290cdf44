package dev.ondemandd.daemon.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.control.ControlClient;
import dev.ondemandd.daemon.control.ControlProtocol;
import dev.ondemandd.daemon.control.MountRequest;
import dev.ondemandd.daemon.control.MountState;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.protocol.nativeio.Mounts;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6 and issue 8 item 7 on this machine's kernel: the serving process is SIGKILLed while readers wait on cold
 * data; {@code ondemandd supervise} holds the fanotify group and starts a new worker with it, which answers what
 * the dead one left pending (from its journal) before serving on. No reader may see zeros, an error or a hang.
 */
@Tag("root")
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class FanotifyFailoverTest {
    /** Long enough that a fetch is surely in flight when the worker is killed. */
    private static final long SLOW_SOURCE_MILLIS = 400;
    private static final int KILL_ROUNDS = 20;
    private static final Pattern HAND_OVER = Pattern.compile("stop mode: hand-over \\([^)]*\\): (\\d+) pending event");

    @TempDir
    Path dir;

    @BeforeAll
    static void needsPreContentEvents() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (CAP_SYS_ADMIN) for fanotify and mount");
        try (FanotifyGroup g = FanotifyGroup.open()) {
            assumeTrue(g.fd() >= 0, "no fanotify group");
        } catch (IOException e) {
            assumeTrue(false, "kernel lacks fanotify pre-content events: " + e.getMessage());
        }
    }

    /** A reader per file, each reading its file whole; the future holds the sha256 or the reader's error. */
    private static List<CompletableFuture<String>> readAll(ExecutorService pool, LazyImages.Image image) {
        List<CompletableFuture<String>> reads = new ArrayList<>();
        for (String name : image.sha256().keySet()) {
            reads.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return LazyImages.sha256(Files.readAllBytes(image.mountpoint().resolve(name)));
                } catch (IOException e) {
                    return "error: " + e;
                }
            }, pool));
        }
        return reads;
    }

    /** Waits until the source has been asked for a range of {@code image}'s blob: a fetch is in flight. */
    private static void awaitFetch(RangeServer source, LazyImages.Image image) throws InterruptedException {
        String path = "/img" + image.index() + "/blob.img";
        for (int i = 0; i < 2400; i++) {
            if (source.seen().stream().anyMatch(s -> s.path().equals(path) && s.range() != null)) {
                return;
            }
            Thread.sleep(25);
        }
        throw new AssertionError("no reader of image " + image.index() + " reached the source");
    }

    /** Every reader's bytes, checked; returns how many bytes were verified. */
    private static long verify(LazyImages.Image image, List<CompletableFuture<String>> reads) throws Exception {
        List<String> names = List.copyOf(image.sha256().keySet());
        for (int i = 0; i < reads.size(); i++) {
            String got = reads.get(i).get(3, TimeUnit.MINUTES);
            assertThat(got).as("image %d file %s: the right bytes, not zeros, not an error", image.index(),
                    names.get(i)).isEqualTo(image.sha256().get(names.get(i)));
        }
        return image.bytes();
    }

    private static RangeServer source(List<LazyImages.Image> images) throws IOException {
        RangeServer source = new RangeServer();
        for (LazyImages.Image image : images) {
            source.put("/img" + image.index() + "/blob.img", Files.readAllBytes(image.blob()));
        }
        return source;
    }

    @Test
    void readersBlockedOnColdDataGetTheRightBytesWhenTheWorkerIsKilledAndRestarted() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), 1, 8, 1 << 20, 6);
        ExecutorService pool = Executors.newFixedThreadPool(8, Thread.ofPlatform().name("reader-", 0).factory());
        try (RangeServer source = source(images);
                SupervisedDaemon daemon = SupervisedDaemon.start(dir, images,
                        image -> source.uri("/img" + image.index() + "/blob.img"))) {
            int first = daemon.workerPid();
            source.latency(SLOW_SOURCE_MILLIS);
            List<CompletableFuture<String>> reads = readAll(pool, images.get(0));
            awaitFetch(source, images.get(0));
            assertThat(reads).as("readers wait on cold data").anyMatch(r -> !r.isDone());
            source.latency(0);
            SupervisedDaemon.kill(first);

            int second = daemon.awaitReady(2);
            long bytes = verify(images.get(0), reads);

            assertThat(second).isNotEqualTo(first);
            long[] recovered = daemon.recoveries();
            assertThat(recovered[0]).as("journaled events filled and allowed under their old numbers; log:\n"
                    + daemon.log()).isPositive();
            assertThat(recovered[1]).as("fills failed").isZero();
            assertThat(daemon.stop()).as("a stopped supervisor exits 0; log:\n" + daemon.log()).isZero();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("the worker unmounted on stop")
                    .doesNotContain(images.get(0).mountpoint().toString());
            System.out.printf("failover (issue 6): %d readers, %d bytes verified; %d pending events recovered%n",
                    reads.size(), bytes, recovered[0]);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Issue 6, a plain stop: SIGTERM to the worker while readers wait on cold data (more of them than fetch slots, so
     * some of their events are only queued) hands over — running fills finish, every other event stays pending in
     * the group and its journal, the worker exits 0 leaving its fds with the supervisor, and the next worker fills
     * and allows them under their old numbers. No reader may see an error or zeros; a stop of the supervisor itself
     * is a full stop (images unmounted).
     */
    @Test
    void aSigtermToTheWorkerHandsPendingEventsOverAndNoReaderSeesAnError() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), 1, 8, 1 << 20, 11);
        ExecutorService pool = Executors.newFixedThreadPool(8, Thread.ofPlatform().name("reader-", 0).factory());
        try (RangeServer source = source(images);
                SupervisedDaemon daemon = SupervisedDaemon.start(dir, images,
                        image -> source.uri("/img" + image.index() + "/blob.img"), "\"concurrency\": 2")) {
            int first = daemon.workerPid();
            source.latency(SLOW_SOURCE_MILLIS * 3);
            List<CompletableFuture<String>> reads = readAll(pool, images.get(0));
            awaitFetch(source, images.get(0));
            assertThat(reads).as("readers wait on cold data").anyMatch(r -> !r.isDone());
            SupervisedDaemon.terminate(first);

            int second = daemon.awaitReady(2);
            source.latency(0);
            long bytes = verify(images.get(0), reads);

            assertThat(second).isNotEqualTo(first);
            String log = daemon.log();
            Matcher handOver = HAND_OVER.matcher(log);
            assertThat(handOver.find()).as("the worker logged its stop mode; log:\n" + log).isTrue();
            int left = Integer.parseInt(handOver.group(1));
            assertThat(log).contains("worker pid " + first + " exited 0").contains("(a hand-over): restarting");
            long[] recovered = daemon.recoveries();
            assertThat(recovered[0]).as("events left pending were filled and allowed by the next worker")
                    .isEqualTo(left).isPositive();
            assertThat(recovered[1]).as("fills failed").isZero();
            assertThat(recovered[2]).as("a hand-over journals every event it leaves").isZero();
            assertThat(daemon.stop()).as("a stopped supervisor exits 0; log:\n" + daemon.log()).isZero();
            assertThat(daemon.log()).contains("stop mode: full (the fd holder is stopping too)");
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("the worker unmounted on stop")
                    .doesNotContain(images.get(0).mountpoint().toString());
            System.out.printf("hand-over (issue 6): SIGTERM with %d readers waiting, %d bytes verified; %d pending"
                    + " events left to the next worker and allowed by it, 0 errors%n", reads.size(), bytes, left);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Issue 6, runtime mounts: an image mounted over the control socket is served again by the next worker — its
     * mount is in the state file, its pending events in the journal. SIGTERM while readers wait on it.
     */
    @Test
    void aRuntimeMountedImageSurvivesAHandOverWithEveryReaderRight() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), 2, 8, 1 << 20, 12);
        LazyImages.Image runtime = images.get(1);
        ExecutorService pool = Executors.newFixedThreadPool(8, Thread.ofPlatform().name("reader-", 0).factory());
        Path state = dir.resolve("cache").resolve(MountState.FILE_NAME);
        try (RangeServer source = source(images);
                SupervisedDaemon daemon = SupervisedDaemon.start(dir, List.of(images.get(0)),
                        image -> source.uri("/img" + image.index() + "/blob.img"), "\"concurrency\": 2")) {
            MountRequest mount = new MountRequest(runtime.meta().toUri(),
                    List.of(source.uri("/img" + runtime.index() + "/blob.img")), runtime.mountpoint(), null, null);
            try (ControlClient control = ControlClient.connect(dir.resolve("control.sock"))) {
                control.call(mount.toRequest());
            }
            assertThat(MountState.in(dir.resolve("cache")).load()).containsExactly(mount);
            int first = daemon.workerPid();
            source.latency(SLOW_SOURCE_MILLIS * 3);
            List<CompletableFuture<String>> reads = readAll(pool, runtime);
            awaitFetch(source, runtime);
            assertThat(reads).as("readers wait on cold data").anyMatch(r -> !r.isDone());
            SupervisedDaemon.terminate(first);

            daemon.awaitReady(2);
            source.latency(0);
            long bytes = verify(runtime, reads);

            assertThat(daemon.log()).contains("runtime mounts: 1 listed in " + state + ", 1 served again, 0 failed");
            assertThat(daemon.recoveries()[1] + daemon.recoveries()[2]).as("events denied").isZero();
            try (ControlClient control = ControlClient.connect(dir.resolve("control.sock"))) {
                control.call(ControlProtocol.request("umount").put("mountpoint", runtime.mountpoint().toString()));
            }
            assertThat(MountState.in(dir.resolve("cache")).load()).isEmpty();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(runtime.mountpoint()
                    .toString());
            assertThat(daemon.stop()).as("log:\n" + daemon.log()).isZero();
            System.out.printf("hand-over of a runtime mount (issue 6): %d readers, %d bytes verified, 0 errors%n",
                    reads.size(), bytes);
        } finally {
            pool.shutdownNow();
            if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + runtime.mountpoint() + " ")) {
                Mounts.umount(runtime.mountpoint(), true);
            }
        }
    }

    @Test
    void twentyKillsDuringColdReadsOfManyFilesLeaveNoReaderWithZerosOrAnError() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), KILL_ROUNDS, 6, 512 << 10, 8);
        ExecutorService pool = Executors.newFixedThreadPool(6, Thread.ofPlatform().name("reader-", 0).factory());
        long verified = 0;
        long start = System.nanoTime();
        try (RangeServer source = source(images);
                SupervisedDaemon daemon = SupervisedDaemon.start(dir, images,
                        image -> source.uri("/img" + image.index() + "/blob.img"))) {
            for (int round = 0; round < KILL_ROUNDS; round++) {
                LazyImages.Image image = images.get(round);
                int worker = daemon.workerPid();
                source.latency(SLOW_SOURCE_MILLIS);
                List<CompletableFuture<String>> reads = readAll(pool, image);
                awaitFetch(source, image);
                source.latency(0);
                SupervisedDaemon.kill(worker);
                daemon.awaitReady(round + 2);
                verified += verify(image, reads);
            }
            long[] recovered = daemon.recoveries();
            assertThat(recovered[1]).as("fills failed").isZero();
            assertThat(daemon.stop()).isZero();
            System.out.printf("kill test (issue 8): %d rounds of SIGKILL during cold reads, %d files, %d bytes"
                    + " verified, %d pending events recovered, %d denied for want of a journal entry, %.1f s%n",
                    KILL_ROUNDS, KILL_ROUNDS * 6, verified, recovered[0], recovered[2],
                    (System.nanoTime() - start) / 1e9);
            assertThat(recovered[2]).as("events read but never journaled (EIO, not zeros)")
                    .isLessThanOrEqualTo(KILL_ROUNDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(verified).isEqualTo(KILL_ROUNDS * 6L * (512 << 10));
    }

    /**
     * What SECURITY.md says remains: when the holder dies too, the kernel releases the group and allows every
     * pending read of a hole — the reader gets zeros. (That is why the holder must be PID 1 or outlive the worker.)
     */
    @Test
    void whenTheHolderIsKilledTooAWaitingReaderSeesZeros() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), 1, 2, 1 << 20, 9);
        ExecutorService pool = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("reader-", 0).factory());
        try (RangeServer source = source(images);
                SupervisedDaemon daemon = SupervisedDaemon.start(dir, images,
                        image -> source.uri("/img" + image.index() + "/blob.img"))) {
            source.latency(10_000);
            LazyImages.Image image = images.get(0);
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return Files.readAllBytes(image.mountpoint().resolve("f0"));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, pool);
            awaitFetch(source, image);
            SupervisedDaemon.kill(daemon.supervisorPid());
            SupervisedDaemon.kill(daemon.workerPid());
            byte[] got = read.get(1, TimeUnit.MINUTES);
            assertThat(LazyImages.sha256(got)).isNotEqualTo(image.sha256().get("f0"));
            assertThat(got).as("the unfilled start of the file reads as zeros").startsWith(new byte[4096]);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The OOM killer should pick the worker (restarted, its reads recovered), not the holder of the group. */
    @Test
    void theWorkerIsTheOomKillersChoiceBeforeTheSupervisor() throws Exception {
        List<LazyImages.Image> images = LazyImages.make(dir.resolve("images"), 1, 1, 64 << 10, 10);
        try (SupervisedDaemon daemon = SupervisedDaemon.start(dir, images, LazyImages.Image::blobUri)) {
            int worker = Integer.parseInt(Files.readString(Path.of("/proc/" + daemon.workerPid() + "/oom_score_adj"))
                    .trim());
            int holder = Integer.parseInt(Files.readString(Path.of("/proc/" + daemon.supervisorPid()
                    + "/oom_score_adj")).trim());
            assertThat(worker).isGreaterThan(holder);
            assertThat(daemon.stop()).isZero();
        }
    }
}
