package dev.ondemandd.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keys the fanotify frontend reads: {@code frontend}, {@code cache}, {@code images}. */
class FanotifyConfigTest {

    private static final String IMAGES = """
            {"frontend": "fanotify",
             "cache": {"dir": "/var/cache/ondemandd"},
             "sources": [],
             "images": [{"meta": "file:///srv/app/meta.erofs",
                         "blobs": ["file:///srv/app/blob.img", "http://mirror/layer2"],
                         "mountpoint": "/mnt/app"}]}
            """;

    @Test
    void imagesBecomeSpecsInDeviceTableOrder() throws Exception {
        DaemonConfig cfg = ConfigLoader.parse(IMAGES);
        assertThat(cfg.frontendName()).isEqualTo("fanotify");
        assertThat(cfg.requireCache().dir()).isEqualTo("/var/cache/ondemandd");
        assertThat(cfg.imageSpecs()).containsExactly(new ImageSpec(URI.create("file:///srv/app/meta.erofs"),
                List.of(URI.create("file:///srv/app/blob.img"), URI.create("http://mirror/layer2")), Path.of("/mnt/app")));
    }

    @Test
    void theFrontendDefaultsToCachefilesAndTakesOnlyKnownValues() throws Exception {
        assertThat(ConfigLoader.parse("{\"sources\": []}").frontendName()).isEqualTo("cachefiles");
        assertThat(ConfigLoader.parse("{\"frontend\": \"auto\", \"sources\": []}").frontendName()).isEqualTo("auto");
        assertThatThrownBy(() -> ConfigLoader.parse("{\"frontend\": \"fuse\", \"sources\": []}"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("frontend: must be one of");
    }

    @Test
    void badImagesNameTheirKey() {
        assertThatThrownBy(() -> ConfigLoader.parse(IMAGES.replace("\"/mnt/app\"", "\"mnt/app\"")))
                .hasMessageStartingWith("images[0].mountpoint: must be an absolute path");
        assertThatThrownBy(() -> ConfigLoader.parse(IMAGES.replace("\"file:///srv/app/meta.erofs\"",
                "\"/srv/app/meta.erofs\""))).hasMessageStartingWith("images[0].meta: has no scheme");
        assertThatThrownBy(() -> ConfigLoader.parse(IMAGES.replace("\"http://mirror/layer2\"", "\"\"")))
                .hasMessageStartingWith("images[0].blobs[1]: required");
        assertThatThrownBy(() -> ConfigLoader.parse(IMAGES.replace("\"mountpoint\"", "\"mountPoint\"")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("images[0]");
    }

    @Test
    void theExampleConfigurationLoads() throws Exception {
        Path example = Path.of("").toAbsolutePath().getParent().resolve("conf/ondemandd.fanotify.example.json");
        DaemonConfig cfg = ConfigLoader.load(example);
        assertThat(cfg.imageSpecs()).singleElement().satisfies(i -> assertThat(i.blobs()).hasSize(1));
        assertThat(cfg.coreSettings().bufferSize()).isEqualTo(128 * 1024);
    }

    @Test
    void fanotifyNeedsACacheDirectory() throws Exception {
        DaemonConfig cfg = ConfigLoader.parse(IMAGES.replace("\"cache\": {\"dir\": \"/var/cache/ondemandd\"},", ""));
        assertThatThrownBy(cfg::requireCache).hasMessageStartingWith("cache: required");
    }
}
