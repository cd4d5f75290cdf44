package dev.ondemandd.fetchers.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the OCI fetcher parses from config, registries and token servers. */
class OciParsingTest {

    private static final String HEX = "a".repeat(64);

    @Test
    void locationsParseRepositoryAndReference() throws Exception {
        assertThat(OciLocation.parse(URI.create("oci://reg.example:5000/a/b-c@sha256:" + HEX)))
                .isEqualTo(new OciLocation("reg.example:5000", "a/b-c", "sha256:" + HEX));
        assertThat(OciLocation.parse(URI.create("oci://reg/a@" + HEX)))
                .isEqualTo(new OciLocation("reg", "a", "sha256:" + HEX));
        assertThat(OciLocation.parse(URI.create("oci://reg/a@sha256%3A" + HEX)))
                .isEqualTo(new OciLocation("reg", "a", "sha256:" + HEX));
        assertThat(OciLocation.parse(URI.create("oci://reg/a/b:v1.2"))).isEqualTo(new OciLocation("reg", "a/b", "v1.2"));
        assertThat(OciLocation.parse(URI.create("oci://reg:1/a"))).isEqualTo(new OciLocation("reg:1", "a", null));
        assertThat(OciLocation.blob(URI.create("oci://reg/a"), HEX)).isEqualTo(URI.create("oci://reg/a@sha256:" + HEX));
        assertThat(OciLocation.parse(URI.create("oci://reg/a")).on(URI.create("oci://mirror:9/cache")))
                .isEqualTo(new OciLocation("mirror:9", "cache/a", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://reg/a", "oci://reg/", "oci://reg/A", "oci://u:p@reg/a", "oci://reg/a@sha256:xyz",
            "oci://reg/a@md5:abc", "oci://reg/a?x=1", "oci://reg/a/../b", "oci://reg/a:-bad"})
    void badLocationsAreEinval(String url) {
        assertThatThrownBy(() -> OciLocation.parse(URI.create(url))).isInstanceOfSatisfying(FetchException.class,
                e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
    }

    @Test
    void cookieKeysThatAreNotDigestsAreRefused() {
        assertThatThrownBy(() -> OciLocation.blob(URI.create("oci://reg/a"), "../../etc/passwd"))
                .isInstanceOf(FetchException.class);
    }

    @Test
    void challengesParseQuotedParamsWithCommas() {
        WwwAuthenticate c = WwwAuthenticate.parse(
                "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"")
                .orElseThrow();
        assertThat(c.scheme()).isEqualTo("bearer");
        assertThat(c.param("realm")).contains("https://auth.example/token");
        assertThat(c.param("service")).contains("registry.example");
        assertThat(c.param("scope")).contains("repository:a/b:pull,push");
        assertThat(WwwAuthenticate.parse("Basic realm=\"x\"").orElseThrow().scheme()).isEqualTo("basic");
        assertThat(WwwAuthenticate.parse("Bearer realm=\"unterminated")).isEmpty();
        assertThat(WwwAuthenticate.parse("Bearer " + "x".repeat(5000))).isEmpty();
    }

    @Test
    void tokensRefreshAFifthOfTheirLifetimeEarlyAtMostThirtySeconds() throws Exception {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        var shortLived = RegistryAuthorizer.parseToken("{\"token\":\"abc\",\"expires_in\":10}".getBytes(), t0, "t");
        assertThat(shortLived.header()).isEqualTo("Bearer abc");
        assertThat(shortLived.refreshAt()).isEqualTo(t0.plusSeconds(8));
        var longLived = RegistryAuthorizer.parseToken("{\"access_token\":\"xyz\",\"expires_in\":3600}".getBytes(), t0, "t");
        assertThat(longLived.header()).isEqualTo("Bearer xyz");
        assertThat(longLived.refreshAt()).isEqualTo(t0.plusSeconds(3570));
        var defaulted = RegistryAuthorizer.parseToken("{\"token\":\"abc\"}".getBytes(), t0, "t");
        assertThat(defaulted.refreshAt()).isEqualTo(t0.plusSeconds(48));
        assertThat(defaulted.toString()).doesNotContain("abc");
        assertThatThrownBy(() -> RegistryAuthorizer.parseToken("{\"token\":\"a\\nb\"}".getBytes(), t0, "t"))
                .isInstanceOf(FetchException.class);
        assertThatThrownBy(() -> RegistryAuthorizer.parseToken("not json".getBytes(), t0, "t"))
                .isInstanceOf(FetchException.class);
    }

    @Test
    void redirectsAreReusedUntilShortlyBeforeTheyExpire() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        URI s3 = URI.create("https://b.s3.example/k?X-Amz-Algorithm=x&X-Amz-Date=20260101T000000Z&X-Amz-Expires=300&X-Amz-Signature=s");
        assertThat(RedirectExpiry.of(s3, now)).isEqualTo(now.plusSeconds(290));
        URI cloudfront = URI.create("https://cdn.example/k?Expires=" + now.plusSeconds(100).getEpochSecond() + "&Signature=s");
        assertThat(RedirectExpiry.of(cloudfront, now)).isEqualTo(now.plusSeconds(90));
        assertThat(RedirectExpiry.of(URI.create("https://plain.example/k"), now)).isEqualTo(now.plusSeconds(60));
        URI longLived = URI.create("https://cdn.example/k?Expires=" + now.plusSeconds(86400).getEpochSecond());
        assertThat(RedirectExpiry.of(longLived, now)).isEqualTo(now.plus(RedirectExpiry.MAX_TTL));
        assertThat(RedirectExpiry.of(URI.create("https://x/k?Expires=garbage"), now)).isBefore(now);
    }

    @Test
    void dockerConfigGivesCredentialsByHostAndHidesThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        String auth = Base64.getEncoder().encodeToString("bob:p4ss:word".getBytes(StandardCharsets.UTF_8));
        Files.writeString(file, "{\"auths\":{\"https://reg.example:5000/v1/\":{\"auth\":\"" + auth + "\"},"
                + "\"other.example\":{\"username\":\"u\",\"password\":\"p\"}}}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        Credentials bob = DockerConfig.credentialsFor(file, "reg.example:5000").orElseThrow();
        assertThat(bob).isEqualTo(new Credentials("bob", "p4ss:word"));
        assertThat(bob.toString()).doesNotContain("p4ss");
        assertThat(DockerConfig.credentialsFor(file, "other.example")).contains(new Credentials("u", "p"));
        assertThat(DockerConfig.credentialsFor(file, "reg.example")).isEmpty();
    }

    @Test
    void malformedDockerConfigErrorsDoNotQuoteTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"auths\":{\"reg\":{\"auth\":\"supersecret-not-base64!\"}}}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> DockerConfig.credentialsFor(file, "reg"))
                .isInstanceOf(FetchException.class).message().doesNotContain("supersecret");
        Files.writeString(file, "{\"auths\": supersecret");
        assertThatThrownBy(() -> DockerConfig.credentialsFor(file, "reg"))
                .isInstanceOf(FetchException.class).message().doesNotContain("supersecret");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"rw-r--r--", "rw-rw----", "rw-----w-"})
    void aDockerConfigOthersCanReadOrChangeIsRefusedSayingHowToFixIt(String mode, @TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"auths\":{\"reg\":{\"username\":\"u\",\"password\":\"supersecret\"}}}");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));

        assertThatThrownBy(() -> DockerConfig.credentialsFor(file, "reg")).isInstanceOfSatisfying(FetchException.class,
                e -> {
                    assertThat(e.errno()).isEqualTo(FetchException.EACCES);
                    assertThat(e.getMessage()).contains("open to others", "chmod 600 " + file)
                            .doesNotContain("supersecret");
                });

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThat(DockerConfig.credentialsFor(file, "reg")).contains(new Credentials("u", "supersecret"));
    }

    @Test
    void anAbsurdTokenLifetimeIsCappedNotAnOverflow() throws Exception {
        Instant asked = Instant.parse("2026-11-22T00:00:00Z");
        RegistryAuthorizer.Token token = RegistryAuthorizer.parseToken(
                "{\"token\":\"abc\",\"expires_in\":39999999999999900}".getBytes(StandardCharsets.UTF_8), asked,
                "test");
        assertThat(token.refreshAt()).isBefore(asked.plus(RegistryAuthorizer.MAX_TOKEN_LIFETIME).plusSeconds(1));
    }
}
