package dev.ondemandd.daemon.frontend.fanotify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.nativeio.FanotifyGroup;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metadata image, fetched whole, is compared with its digest before it enters the cache. */
@Tag("root")
class MetadataDigestTest {

    @TempDir
    Path dir;

    /** Serves {@code claimed:} URLs as the file at their path, claiming a digest for it. */
    private record Claiming(String digest) implements Fetcher {
        @Override
        public Set<String> schemes() {
            return Set.of("claimed");
        }

        @Override
        public Blob open(URI location) throws FetchException {
            Blob file = new FileFetcher().open(Path.of(location.getPath()).toUri());
            return new Blob() {
                @Override
                public long size() {
                    return file.size();
                }

                @Override
                public void read(long offset, ByteBuffer dst) throws IOException {
                    file.read(offset, dst);
                }

                @Override
                public Optional<String> digest() {
                    return Optional.of(digest);
                }

                @Override
                public String describe() {
                    return "claimed " + location;
                }
            };
        }
    }

    @Test
    void aMetadataImageThatDoesNotMatchItsDigestIsRefusedAndNothingEntersTheCache() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root (CAP_SYS_ADMIN) for fanotify");
        TestImages.Image image = TestImages.get("chunked");
        URI meta = URI.create("claimed://" + image.meta());
        ImageSpec spec = new ImageSpec(meta, image.blobs().stream().map(Path::toUri).toList(), dir.resolve("mnt"));
        FetcherRegistry fetchers = FetcherRegistry.of(new Claiming("sha256:" + "0".repeat(64)), new FileFetcher());
        Path cache = dir.resolve("cache");
        try (Core core = new Core(CoreSettings.defaults(), new SourceResolver(FanotifyServer.sourceRules(List.of(spec)),
                fetchers), CoreListener.none());
                FanotifyServer server = new FanotifyServer(core, fetchers, FanotifyGroup.open(), cache,
                        FanotifySettings.defaults())) {
            assertThatThrownBy(() -> server.prepare(0, spec)).isInstanceOfSatisfying(FetchException.class, e -> {
                assertThat(e.errno()).isEqualTo(FetchException.EIO);
                assertThat(e.getMessage()).contains("does not match its digest").contains("nothing was mounted");
            });
        }
        try (var left = Files.list(cache.resolve("meta"))) {
            assertThat(left.toList()).as("no metadata file, not even a temporary one").isEmpty();
        }
    }
}
