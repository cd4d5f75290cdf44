package dev.ondemandd.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.oci.OciLocation;
import dev.ondemandd.fetchers.testing.RangeServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Per-source keys of remote sources in the config, and the fetchers they configure. */
class RemoteSourceConfigTest {

    @Test
    void everyRemoteKeyMapsIntoTheSourceOptions() throws Exception {
        DaemonConfig config = ConfigLoader.parse("""
                {"sources": [{"volume": "erofs,*", "cookie": "sha256:*", "url": "oci://reg.example:5000/images@{cookie}",
                  "plainHttp": true, "credentials": {"username": "u", "password": "p"},
                  "dockerConfig": "/etc/ondemandd/docker.json", "mirrors": ["oci://mirror.example"],
                  "caFile": "/etc/ondemandd/ca.pem", "proxy": "http://proxy.example:3128",
                  "connectTimeout": "2s", "requestTimeout": "10s", "maxConcurrency": 8}]}""");
        SourceOptions o = config.sources().get(0).options("sources[0]");

        assertThat(o).isEqualTo(new SourceOptions(true, new Credentials("u", "p"), Path.of("/etc/ondemandd/docker.json"),
                List.of(URI.create("oci://mirror.example")), Path.of("/etc/ondemandd/ca.pem"),
                URI.create("http://proxy.example:3128"), Duration.ofSeconds(2), Duration.ofSeconds(10), 8, null));
    }

    @Test
    void anOciSourceLocatesTheBlobWhoseDigestIsTheCookie() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{\"sources\": [{\"cookie\": \"sha256:*\","
                + " \"url\": \"oci://reg.example:5000/images@{cookie}\", \"plainHttp\": true}]}");
        try (Sources sources = Sources.open(config)) {
            URI located = sources.resolver().locate(ObjectKey.of("erofs,x", "sha256:" + "a".repeat(64)));
            assertThat(OciLocation.parse(located))
                    .isEqualTo(new OciLocation("reg.example:5000", "images", "sha256:" + "a".repeat(64)));
        }
    }

    @Test
    void aFileSourceStillNeedsNoRemoteKeys() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{\"sources\": [{\"url\": \"file:///srv/blobs/{cookie}\"}]}");
        assertThat(config.sources().get(0).options("sources[0]")).isEqualTo(SourceOptions.DEFAULTS);
    }

    @Test
    void badRemoteValuesNameTheirKey() throws Exception {
        DaemonConfig negative = ConfigLoader.parse(
                "{\"sources\": [{\"url\": \"http://h/{cookie}\", \"maxConcurrency\": -1}]}");
        assertThatThrownBy(() -> Sources.open(negative)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sources[0]").hasMessageContaining("maxConcurrency");
        DaemonConfig badMirror = ConfigLoader.parse(
                "{\"sources\": [{\"url\": \"oci://h/r@{cookie}\", \"mirrors\": [\"not a url\"]}]}");
        assertThatThrownBy(() -> Sources.open(badMirror)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sources[0].mirrors[0]");
        assertThatThrownBy(() -> ConfigLoader.parse(
                "{\"sources\": [{\"url\": \"http://h/x\", \"credentials\": {\"user\": \"u\"}}]}"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sources[0].credentials");
    }

    @Test
    @Tag("server")
    void anHttpSourceIsServedWithItsCredentials() throws Exception {
        try (RangeServer server = new RangeServer().put("/blobs/abc", new byte[1234])) {
            DaemonConfig config = ConfigLoader.parse("""
                    {"sources": [{"url": "%s{cookie}", "credentials": {"username": "alice", "password": "pw"},
                      "requestTimeout": "5s"}]}""".formatted(server.uri("/blobs/")));
            try (Sources sources = Sources.open(config); Blob blob = sources.resolver().resolve(ObjectKey.of("v", "abc"))) {
                assertThat(blob.size()).isEqualTo(1234);
            }
            assertThat(server.seen()).extracting(RangeServer.Seen::authorization)
                    .containsOnly(new Credentials("alice", "pw").basicAuthorization());
        }
    }
}
