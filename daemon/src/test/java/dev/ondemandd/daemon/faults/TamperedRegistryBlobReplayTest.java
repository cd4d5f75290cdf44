package dev.ondemandd.daemon.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.fetchers.testing.OciPush;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Integrity end to end: two OCI blobs in Debian's real docker-registry on loopback, one of them tampered with in
 * the registry's storage, read whole by a trace through the core, the cachefiles frontend and the simulated
 * kernel with the source's {@code verifyWholeBlob} on. Every READ of the tampered blob reaches its reader as EIO
 * and not one byte of it reaches the cache file; the good blob is served; restored, the blob is served right.
 */
@Tag("server")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TamperedRegistryBlobReplayTest {

    private static final String REPOSITORY = "integrity/fs";
    private static final byte[] GOOD = TestBytes.of(300_000, 5);
    private static final byte[] TAMPERED = TestBytes.of(2 * 1024 * 1024 + 4096 * 3 + 11, 6);

    @TempDir
    Path dir;
    private RegistryProcess registry;
    private Path stored;
    private Trace trace;
    private DaemonConfig serving;
    private DaemonConfig checking;

    @BeforeEach
    void pushAndTamper() throws Exception {
        Path storage = dir.resolve("storage");
        registry = RegistryProcess.start(storage, dir, "");
        String good = OciPush.blob(registry.base(), REPOSITORY, GOOD);
        String bad = OciPush.blob(registry.base(), REPOSITORY, TAMPERED);
        String hex = bad.substring("sha256:".length());
        stored = storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
                .resolve("data");
        byte[] tampered = TAMPERED.clone();
        tampered[tampered.length - 1] ^= 1;
        Files.write(stored, tampered);

        Path originals = Files.createDirectories(dir.resolve("originals"));
        Files.write(originals.resolve(good), GOOD);
        Files.write(originals.resolve(bad), TAMPERED);
        trace = SampleData.readAll(List.of(good, bad), List.of(GOOD, TAMPERED), "simulated");
        serving = DaemonConfig.ofSources(List.of(new SourceConfig("erofs,*", "sha256:*",
                "oci://" + registry.authority() + "/" + REPOSITORY + "@{cookie}", true, null, null, null, null, null,
                null, null, null, true)));
        checking = DaemonConfig.ofSources(List.of(new SourceConfig("erofs,*", "sha256:*",
                originals.toUri() + "{cookie}")));
    }

    @AfterEach
    void stop() throws Exception {
        registry.close();
    }

    private FaultReplay.Report replay() throws Exception {
        CoreSettings settings = serving.coreSettings().withReadDeadline(Duration.ofSeconds(20));
        try (Sources served = Sources.open(serving); Sources original = Sources.open(checking)) {
            return FaultReplay.run(settings, served.resolver(), original.resolver(), trace,
                    new FaultInjector(FaultSpec.none()), CoreListener.none(), line -> { });
        }
    }

    /** The cache check compares whole pages: the last one's tail past the blob's end must be zeros. */
    private static long pages(long bytes) {
        return (bytes + CoreSettings.PAGE_SIZE - 1) / CoreSettings.PAGE_SIZE * CoreSettings.PAGE_SIZE;
    }

    @Test
    void noByteOfATamperedBlobReachesAReaderOrTheCacheAndTheRestoredBlobIsServed() throws Exception {
        long tamperedReads = trace.events().stream().filter(TraceEvent.Read.class::isInstance)
                .map(TraceEvent.Read.class::cast).filter(r -> r.object() == 2).count();

        FaultReplay.Report report = replay();

        assertThat(report.replay().failures()).as(report.summary()).isEqualTo(tamperedReads).isPositive();
        assertThat(report.replay().mismatches()).isZero();
        assertThat(report.wrongBytes()).isZero();
        assertThat(report.bytesVerified()).as("only the good blob's bytes are in the cache")
                .isEqualTo(pages(GOOD.length));
        assertThat(report.hung()).isZero();
        assertThat(report.outstanding()).isZero();
        assertThat(report.servingAfter()).isTrue();

        Files.write(stored, TAMPERED);
        FaultReplay.Report restored = replay();

        assertThat(restored.held()).as(restored.summary()).isTrue();
        assertThat(restored.replay().failures()).isZero();
        assertThat(restored.bytesVerified()).isEqualTo(pages(GOOD.length) + pages(TAMPERED.length));
    }
}
