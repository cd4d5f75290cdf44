package dev.ondemandd.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.fetchers.FetcherRegistry;
import dev.ondemandd.fetchers.file.FileFetcher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    private static final String SOURCES = "\"sources\": [{\"volume\": \"erofs,*\", \"cookie\": \"*\","
            + " \"url\": \"file:///srv/blobs/{cookie}\"}]";

    @Test
    void theIssuesExampleLoadsWithDefaultsForEverythingLeftOut() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{\"cachefiles\": {\"dir\": \"/var/cache/ondemandd\", \"tag\":"
                + " \"ondemandd\"}, " + SOURCES + "}");
        assertThat(config.requireCachefiles()).isEqualTo(new CachefilesConfig("/var/cache/ondemandd", "ondemandd",
                "/dev/cachefiles"));
        assertThat(config.sourceRules()).hasSize(1);
        assertThat(config.coreSettings()).isEqualTo(CoreSettings.defaults());
        assertThat(config.resolver(FetcherRegistry.of(new FileFetcher()))).isNotNull();
    }

    @Test
    void dispatcherDurationsAndSizesReadLikeAnOperatorWritesThem() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{" + SOURCES + ", \"dispatcher\": {\"concurrency\": 4,"
                + " \"readDeadline\": \"250ms\", \"openDeadline\": \"2m\", \"bufferSize\": \"256KiB\","
                + " \"drainTimeout\": \"1h\"}}");
        assertThat(config.coreSettings()).isEqualTo(new CoreSettings(4, Duration.ofMillis(250), Duration.ofMinutes(2),
                256 << 10, Duration.ofHours(1)));
    }

    @Test
    void theFetchPolicyKeysShapeHowReadsBecomeFetches() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{" + SOURCES + ", \"dispatcher\": {\"amplifyUnit\": \"256KiB\","
                + " \"readaheadMax\": \"2MiB\", \"merge\": false, \"maxBytesInFlight\": \"64MiB\","
                + " \"prefetchConcurrency\": 2}}");
        assertThat(config.coreSettings().fetch()).isEqualTo(new FetchPolicy(256 << 10, 2L << 20, false, 64L << 20, 2));
        assertThat(ConfigLoader.parse("{" + SOURCES + "}").coreSettings().fetch()).isEqualTo(FetchPolicy.defaults());
    }

    @Test
    void sectionsOtherFeaturesOwnAreTolerated() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{" + SOURCES + ", \"metrics\": {\"listen\": \"127.0.0.1:9100\"},"
                + " \"control\": {}, \"frontend\": \"fanotify\", \"cache\": {}, \"images\": []}");
        assertThat(config.metrics().get("listen").asText()).isEqualTo("127.0.0.1:9100");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            {"sources": [], "cachefile": {}}                                   | cachefile: unknown key
            {"sources": [{"url": "file:///x", "cookies": "*"}]}                 | sources[0].cookies: unknown key
            {"sources": [], "cachefiles": {"dir": "/x", "tags": "t"}}           | cachefiles.tags: unknown key
            {"sources": [], "dispatcher": {"concurrency": "many"}}              | dispatcher.concurrency:
            {"sources": [], "dispatcher": {"concurrency": 0}}                   | dispatcher.concurrency: must be 1..
            {"sources": [], "dispatcher": {"concurrency": 1.5}}                 | dispatcher.concurrency:
            {"sources": [], "dispatcher": {"readDeadline": "soon"}}             | dispatcher.readDeadline: bad value soon
            {"sources": [], "dispatcher": {"readDeadline": 30}}                 | dispatcher.readDeadline:
            {"sources": [], "dispatcher": {"readDeadline": "0s"}}               | dispatcher.readDeadline: must be longer than 0
            {"sources": [], "dispatcher": {"bufferSize": "1000"}}               | dispatcher.bufferSize: must be a multiple of 4096
            {"sources": [], "dispatcher": {"bufferSize": -4096}}                | dispatcher.bufferSize:
            {"sources": [], "dispatcher": {"amplifyUnit": "1000"}}              | dispatcher: unit must be a multiple of 4096
            {"sources": [], "dispatcher": {"readaheadMax": "1536KiB"}}          | dispatcher: readaheadMax must be 0 or a multiple of the unit
            {"sources": [], "dispatcher": {"maxBytesInFlight": "64KiB"}}        | dispatcher: maxBytesInFlight must be at least
            {"sources": [], "dispatcher": {"prefetchConcurrency": -1}}          | dispatcher.prefetchConcurrency: must be 0 (off)..
            {"sources": [], "dispatcher": {"merge": "yes please"}}              | dispatcher.merge:
            {"sources": [{"url": "srv/{cookie}"}]}                              | sources[0].url: URL has no scheme
            {"sources": [{"url": "file:///srv/{name}"}]}                        | sources[0].url: unknown placeholder {name}
            {"sources": [{"volume": "*"}]}                                      | sources[0].url: required
            {"sources": {"url": "x"}}                                           | sources: wrong type
            {"cachefiles": {"dir": "/x"}}                                       | sources: required
            {"sources": [], "cachefiles": {"tag": "t"}}                         | cachefiles.dir: required
            {"sources": [], "sources": []}                                      | Duplicate field 'sources'
            {"sources": []} {}                                                  | Trailing token
            {"sources": [}                                                      | not valid JSON at line 1
            """)
    void everyErrorNamesTheKeyItIsAbout(String json, String expected) {
        assertThatThrownBy(() -> ConfigLoader.parse(json)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(expected.strip());
    }

    @Test
    void anUnknownKeyListsTheKnownOnes() {
        assertThatThrownBy(() -> ConfigLoader.parse("{\"sources\": [{\"uri\": \"file:///x\"}]}"))
                .hasMessage("sources[0].uri: unknown key (known keys here: caFile, connectTimeout, cookie, credentials, dockerConfig,"
                        + " maxConcurrency, mirrors, plainHttp, proxy, requestTimeout, url, verifyWholeBlob, volume)");
    }

    @Test
    void aSchemeNoFetcherServesIsRefusedWithThePathOfItsUrl() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{\"sources\": [{\"url\": \"file:///a/{cookie}\"},"
                + " {\"url\": \"gopher://h/{cookie}\"}]}");
        ThrowingCallable resolve = () -> config.resolver(FetcherRegistry.of(new FileFetcher()));
        assertThatThrownBy(resolve).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("sources[1].url: no fetcher for URL scheme 'gopher'")
                .extracting(e -> ((ConfigException) e).path()).isEqualTo("sources[1].url");
    }

    @Test
    void runNeedsTheCachefilesSection() throws Exception {
        DaemonConfig config = ConfigLoader.parse("{\"sources\": []}");
        assertThatThrownBy(config::requireCachefiles).hasMessageStartingWith("cachefiles: required");
    }

    @Test
    void fileErrorsStartWithTheFileName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("c.json");
        Files.writeString(file, "{\"sources\": [], \"bogus\": 1}");
        assertThatThrownBy(() -> ConfigLoader.load(file)).hasMessageStartingWith(file + ": bogus: unknown key")
                .extracting(e -> ((ConfigException) e).path()).isEqualTo("bogus");
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.json"))).hasMessageEndingWith(": no such file");
    }
}
