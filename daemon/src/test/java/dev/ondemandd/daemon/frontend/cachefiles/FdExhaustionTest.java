package dev.ondemandd.daemon.frontend.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.testing.OpenFiles;
import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import dev.ondemandd.protocol.nativeio.Errno;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * fd exhaustion (RLIMIT_NOFILE): this test process's soft limit is lowered (prlimit) and the fds left are taken,
 * then the daemon is asked to OPEN. The simulated kernel installs each OPEN's anonymous fd in this process as the
 * real one does (get_unused_fd_flags): it fails with EMFILE, which the kernel hands to the daemon's read() and to the
 * OPEN's waiter. The OPEN fails at once, an object already open keeps serving (its fds exist), nothing leaks, and
 * once fds return the same OPEN is served with the right bytes.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FdExhaustionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    /** Headroom under the lowered limit, taken by the test until it gives fds back. */
    private static final int HEADROOM = 64;
    /** OPENs tried while starved before the test gives up on the race with the JVM's other threads. */
    private static final int ATTEMPTS = 5;

    @TempDir
    Path dir;

    @Test
    void openFailsCleanlyWhenFdsRunOutNothingLeaksAndServingResumesWhenTheyReturn() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "needs prlimit (util-linux)");
        SampleData.Sample sample = SampleData.generate(Files.createDirectories(dir.resolve("blobs")), 2, 200_000, 7);
        DaemonConfig config = sample.config();
        List<String> cookies = sample.trace().events().stream()
                .filter(dev.ondemandd.daemon.trace.TraceEvent.Open.class::isInstance)
                .map(e -> ((dev.ondemandd.daemon.trace.TraceEvent.Open) e).cookie()).distinct().toList();
        Path root = Files.createDirectories(dir.resolve("cache"));
        SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
        String limits = OpenFiles.limits();
        List<Integer> taken = new ArrayList<>();
        try (Sources sources = Sources.open(config)) {
            CachefilesService service = new CachefilesService(kernel,
                    config.coreSettings().withReadDeadline(Duration.ofSeconds(5)), sources.resolver(),
                    CoreListener.none());
            try {
                service.start(root.toString(), "fds");
                OpenResult.Opened first = (OpenResult.Opened) kernel.open(SampleData.VOLUME,
                        cookies.get(0).getBytes(StandardCharsets.UTF_8), WAIT);
                assertThat(kernel.read(first.object(), 0, 4096, WAIT)).isInstanceOf(ReadResult.Data.class);

                // The daemon's fds: anonymous fds the kernel handed it, and the source files it reads.
                long anonBefore = kernel.stats().fdsOpen();
                int sourceFdsBefore = OpenFiles.into(List.of(dir.resolve("blobs")));
                OpenFiles.limit((OpenFiles.count() + HEADROOM) + ":" + limits.split(":")[1]);
                // Other threads of this JVM may close an fd between the taking and the OPEN: take again and retry.
                OpenResult starved = null;
                long openNanos = 0;
                for (int attempt = 0; attempt < ATTEMPTS && !(starved instanceof OpenResult.Failed); attempt++) {
                    if (starved instanceof OpenResult.Opened opened) {
                        kernel.close(opened.object());
                    }
                    OpenFiles.takeEvery(taken);
                    long t0 = System.nanoTime();
                    starved = kernel.open(SampleData.VOLUME, cookies.get(1).getBytes(StandardCharsets.UTF_8), WAIT);
                    openNanos = System.nanoTime() - t0;
                }
                ReadResult stillServed = kernel.read(first.object(), 4096, 4096, WAIT);

                assertThat(starved).as("the OPEN fails, it does not hang").isInstanceOfSatisfying(
                        OpenResult.Failed.class, f -> assertThat(f.errno()).isEqualTo(Errno.EMFILE));
                assertThat(openNanos).isLessThan(TimeUnit.SECONDS.toNanos(5));
                assertThat(stillServed).as("an object opened before keeps serving")
                        .isInstanceOf(ReadResult.Data.class);

                for (int fd : taken) {
                    Posix.close(fd);
                }
                taken.clear();
                OpenFiles.limit(limits);
                // An OPEN that won the race with another thread was withdrawn: its CLOSE closes its fd shortly.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (kernel.stats().fdsOpen() != anonBefore && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                assertThat(kernel.stats().fdsOpen()).as("no anonymous fd leaked").isEqualTo(anonBefore);
                assertThat(OpenFiles.into(List.of(dir.resolve("blobs")))).as("no source fd leaked").isEqualTo(sourceFdsBefore);

                OpenResult.Opened second = (OpenResult.Opened) kernel.open(SampleData.VOLUME,
                        cookies.get(1).getBytes(StandardCharsets.UTF_8), WAIT);
                byte[] want = Files.readAllBytes(dir.resolve("blobs").resolve(cookies.get(1)));
                assertThat(kernel.read(second.object(), 0, want.length, WAIT)).isInstanceOfSatisfying(
                        ReadResult.Data.class, d -> assertThat(d.bytes()).isEqualTo(want));
                kernel.close(first.object());
                kernel.close(second.object());
            } finally {
                for (int fd : taken) {
                    Posix.close(fd);
                }
                OpenFiles.limit(limits);
                service.close();
            }
        } finally {
            kernel.shutdown();
        }
    }
}
