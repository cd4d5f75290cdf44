package dev.ondemandd.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.config.DaemonConfig;
import dev.ondemandd.daemon.config.SourceConfig;
import dev.ondemandd.daemon.config.Sources;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code file:} sources report fetch counts, bytes, errors and latency by source, as the remote ones do. */
class FileSourceMetricsTest {

    @TempDir
    Path dir;

    @Test
    void eachFileSourceIsCountedUnderItsOwnNameAndUnnamedUrlsUnderFile() throws Exception {
        Files.createDirectories(dir.resolve("a"));
        Files.createDirectories(dir.resolve("b"));
        Files.write(dir.resolve("a/x"), new byte[8192]);
        Files.write(dir.resolve("b/y"), new byte[4096]);
        Files.write(dir.resolve("loose"), new byte[100]);
        DaemonConfig config = DaemonConfig.ofSources(List.of(
                new SourceConfig("erofs,a", "*", dir.toUri() + "a/{cookie}"),
                new SourceConfig("erofs,b", "*", dir.toUri() + "b/{cookie}")));
        try (Metrics metrics = Metrics.create(); Sources sources = Sources.open(config, metrics.daemon())) {
            try (Blob x = sources.resolver().resolve(ObjectKey.of("erofs,a", "x"))) {
                x.read(0, ByteBuffer.allocate(8192));
                x.read(4096, ByteBuffer.allocate(4096));
            }
            try (Blob y = sources.resolver().resolve(ObjectKey.of("erofs,b", "y"))) {
                y.read(0, ByteBuffer.allocate(4096));
            }
            assertThatThrownBy(() -> sources.resolver().resolve(ObjectKey.of("erofs,b", "missing")))
                    .isInstanceOf(FetchException.class);
            try (Blob loose = sources.fetchers().open(URI.create(dir.toUri() + "loose"))) {
                loose.read(0, ByteBuffer.allocate(100));
            }

            var stats = metrics.daemon().sourceStats();
            assertThat(stats.get("sources[0]").reads()).isEqualTo(2);
            assertThat(stats.get("sources[0]").bytes()).isEqualTo(12288);
            assertThat(stats.get("sources[1]").reads()).isEqualTo(1);
            assertThat(stats.get("sources[1]").openFailures()).isEqualTo(1);
            assertThat(stats.get("file").bytes()).isEqualTo(100);
            String scrape = metrics.registry().scrape();
            assertThat(scrape).contains("ondemandd_source_read_bytes_total{source=\"sources[0]\"} 12288.0")
                    .contains("ondemandd_source_errors_total{errno=\"ENOENT\",op=\"open\",source=\"sources[1]\"} 1.0")
                    .contains("ondemandd_source_request_duration_seconds_count{");
        }
    }
}
