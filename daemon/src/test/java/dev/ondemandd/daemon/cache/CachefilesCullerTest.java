package dev.ondemandd.daemon.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.frontend.cachefiles.CachefilesService;
import dev.ondemandd.daemon.replay.SampleData;
import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimObject;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cachefiles quota through the kernel's {@code inuse}/{@code cull} commands, on the simulated kernel (which
 * resolves them in the writing thread's current directory and refuses objects the filesystem holds, as
 * cachefiles_cull does): idle objects culled least recently used first, a held one never, a culled one fetched
 * again right.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CachefilesCullerTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static Path cacheFileOf(Path root, String cookie) throws Exception {
        String hex = java.util.HexFormat.of().formatHex(cookie.getBytes(StandardCharsets.UTF_8));
        try (Stream<Path> walk = Files.walk(root.resolve("cache"))) {
            return walk.filter(p -> p.getFileName().toString().equals("D" + hex)).findFirst().orElseThrow();
        }
    }

    @Test
    void idleObjectsAreCulledOldestFirstHeldOnesNeverAndACulledOneIsFetchedAgainRight() throws Exception {
        SampleData.Sample sample = SampleData.generate(Files.createDirectories(dir.resolve("blobs")), 3, 300_000, 9);
        DaemonConfig config = sample.config();
        List<String> cookies = sample.blobs().stream().map(p -> p.getFileName().toString()).toList();
        Path root = Files.createDirectories(dir.resolve("cachedir"));
        SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
        try (Sources sources = Sources.open(config)) {
            CachefilesService service = new CachefilesService(kernel, config.coreSettings(), sources.resolver(),
                    CoreListener.none());
            CachefilesCuller culler = new CachefilesCuller(kernel, root, 1);
            try {
                service.start(root.toString(), "quota");
                SimObject[] objects = new SimObject[3];
                for (int i = 0; i < 3; i++) {
                    objects[i] = ((OpenResult.Opened) kernel.open(SampleData.VOLUME,
                            cookies.get(i).getBytes(StandardCharsets.UTF_8), WAIT)).object();
                    long size = Files.size(sample.blobs().get(i));
                    assertThat(kernel.read(objects[i], 0, size, WAIT)).isInstanceOf(ReadResult.Data.class);
                }
                kernel.close(objects[0]);
                kernel.close(objects[1]);
                Instant now = Instant.now();
                Path oldest = cacheFileOf(root, cookies.get(1));
                Path newer = cacheFileOf(root, cookies.get(0));
                Path held = cacheFileOf(root, cookies.get(2));
                for (Path p : List.of(oldest, newer, held)) {
                    Files.setLastModifiedTime(p, FileTime.from(now.minusSeconds(p.equals(oldest) ? 300
                            : p.equals(newer) ? 200 : 100)));
                    Files.setAttribute(p, "lastAccessTime", FileTime.from(now.minusSeconds(p.equals(oldest) ? 300
                            : p.equals(newer) ? 200 : 100)));
                }
                long heldBytes = CacheJanitor.bytesOnDisk(held);
                long newerBytes = CacheJanitor.bytesOnDisk(newer);

                CacheJanitor.Pass one;
                try (CachefilesCuller justEnough = new CachefilesCuller(kernel, root, heldBytes + newerBytes)) {
                    one = justEnough.pass();
                }
                CacheJanitor.Pass all = culler.pass();

                assertThat(one.evicted()).as("just enough, the least recently used").containsExactly(oldest);
                assertThat(all.evicted()).containsExactly(newer);
                assertThat(all.inUseBytes()).isEqualTo(heldBytes);
                assertThat(held).exists();
                assertThat(kernel.culled()).isEqualTo(2);

                SimObject again = ((OpenResult.Opened) kernel.open(SampleData.VOLUME,
                        cookies.get(1).getBytes(StandardCharsets.UTF_8), WAIT)).object();
                byte[] want = Files.readAllBytes(sample.blobs().get(1));
                assertThat(kernel.read(again, 0, want.length, WAIT)).isInstanceOfSatisfying(ReadResult.Data.class,
                        d -> {
                            assertThat(d.fromCache()).as("fetched again, not from the culled file").isFalse();
                            assertThat(d.bytes()).isEqualTo(want);
                        });
                kernel.close(again);
                kernel.close(objects[2]);
            } finally {
                culler.close();
                service.close();
            }
        } finally {
            kernel.shutdown();
        }
    }
}
