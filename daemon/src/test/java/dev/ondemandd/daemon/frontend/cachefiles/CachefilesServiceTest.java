package dev.ondemandd.daemon.frontend.cachefiles;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CachefilesServiceTest {

    @TempDir
    Path blobs;

    @Test
    void aDaemonTakingOverABoundCacheWritesRestoreBeforeItReadsAnyRequest() throws Exception {
        Files.write(blobs.resolve("img"), new byte[4096]);
        SourceResolver resolver = new SourceResolver(List.of(SourceRule.of("erofs,*", "*", blobs.toUri() + "{cookie}")),
                FetcherRegistry.of(new FileFetcher()));
        FakeDevice device = new FakeDevice();
        // an OPEN the killed daemon had read: after restore the kernel hands it out again, to be read once
        device.send(new OpenMessage(1, 7, "erofs,img", "img".getBytes(StandardCharsets.UTF_8), 42, 0));

        try (CachefilesService service = new CachefilesService(device, CoreSettings.defaults(), resolver,
                CoreListener.none())) {
            service.resume();
            assertThat(List.of(device.nextCommand(), device.nextCommand())).containsExactly("restore", "copen 1,4096");
        }
        assertThat(device.events).as("restore before the first read; no dir, tag or bind: the cache stayed bound")
                .containsExactly("command restore", "read", "command copen 1,4096");
    }
}
