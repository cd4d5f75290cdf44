package dev.ondemandd.fetchers.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.http.ContentRange;
import dev.ondemandd.fetchers.testing.Fuzz;
import dev.ondemandd.fetchers.testing.RangeServer;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile bytes from the network (seeded mutation fuzzing, {@link Fuzz}): Content-Range, WWW-Authenticate,
 * token responses, redirect URLs, OCI references and manifests. Header parsers answer "not well formed" (an
 * empty Optional) and never throw; body parsers throw only {@link FetchException}; no input hangs.
 */
@Timeout(1800)
class HostileResponseFuzzTest {

    private static final String HEX = "a".repeat(64);
    private static final List<String> JSON_TOKENS = List.of("{", "}", "[", "]", "\"", ":", ",", "null", "true",
            "-1", "1e999", "9223372036854775808", "\"token\"", "\"access_token\"", "\"expires_in\"", "\"issued_at\"",
            "\\u0000", "\"mediaType\"", "\"layers\"", "\"manifests\"", "\"digest\"", "\"size\"", "\"annotations\"",
            "\"sha256:" + HEX + "\"");

    @Test
    void contentRangeNeverThrows() {
        var r = Fuzz.run("content-range", 1, Fuzz.inputs(), Fuzz.corpus("bytes 0-99/100", "bytes 5-5/*",
                "bytes */100", "BYTES 10-19/20", "bytes 0-9223372036854775806/9223372036854775807"),
                List.of("bytes ", "-", "/", "*", "99999999999999999999", " ", "\t", "+1", "0x10"),
                input -> {
                    var parsed = ContentRange.parse(new String(input, StandardCharsets.ISO_8859_1));
                    parsed.ifPresent(c -> {
                        if (c.first() >= 0 && (c.last() < c.first() || (c.total() >= 0 && c.last() >= c.total()))) {
                            throw new AssertionError("inconsistent range accepted: " + c);
                        }
                    });
                });
        assertThat(r.accepted()).isPositive();
    }

    @Test
    void wwwAuthenticateNeverThrows() {
        var r = Fuzz.run("www-authenticate", 2, Fuzz.inputs(), Fuzz.corpus(
                "Bearer realm=\"https://auth.example/token\",service=\"registry\",scope=\"repository:a/b:pull\"",
                "Basic realm=\"x\"", "bearer realm=token, error=\"invalid_token\"",
                "Bearer realm=\"a\\\"b\", service=reg"),
                List.of("=", "\"", "\\", ",", " ", "realm", "scope", "Bearer ", "Basic "),
                input -> WwwAuthenticate.parse(new String(input, StandardCharsets.ISO_8859_1)));
        assertThat(r.accepted()).isPositive();
    }

    @Test
    void tokenResponsesAreAcceptedOrAFetchException() {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");
        var r = Fuzz.run("registry-token", 3, Fuzz.inputs(), Fuzz.corpus(
                "{\"token\":\"abc\",\"expires_in\":300,\"issued_at\":\"2026-11-22T00:00:00Z\"}",
                "{\"access_token\":\"abc\"}", "{\"token\":\"x\",\"expires_in\":-5}"),
                JSON_TOKENS, input -> RegistryAuthorizer.parseToken(input, now, "fuzz"), FetchException.class);
        assertThat(r.accepted()).isPositive();
        assertThat(r.rejected()).isPositive();
    }

    @Test
    void redirectUrlsGetABoundedExpiryAndNeverThrow() {
        Instant now = Instant.parse("2026-11-22T00:00:00Z");
        var r = Fuzz.run("redirect-expiry", 4, Fuzz.inputs(), Fuzz.corpus(
                "https://s3.example/b?X-Amz-Date=20261122T000000Z&X-Amz-Expires=300&X-Amz-Signature=ab",
                "https://storage.example/o?Expires=1795000000&Signature=x", "https://cdn.example/o?se=2026-11-22T01:00:00Z"),
                List.of("&", "=", "?", "X-Amz-Expires=", "X-Amz-Date=", "Expires=", "%", "99999999999999999999"),
                input -> {
                    URI uri;
                    try {
                        uri = new URI(new String(input, StandardCharsets.ISO_8859_1));
                    } catch (URISyntaxException e) {
                        throw new IllegalArgumentException(e); // not a URL a server could send: not our parser
                    }
                    Instant expiry = RedirectExpiry.of(uri, now);
                    if (expiry.isAfter(now.plus(RedirectExpiry.MAX_TTL))) {
                        throw new AssertionError("expiry past the cap: " + expiry);
                    }
                }, IllegalArgumentException.class);
        assertThat(r.accepted()).isPositive();
    }

    @Test
    void ociReferencesAreParsedOrAFetchException() {
        var r = Fuzz.run("oci-reference", 5, Fuzz.inputs(), Fuzz.corpus("oci://reg.example:5000/a/b-c@sha256:" + HEX,
                "oci://reg/a/b:v1.2", "oci://reg:1/a", "oci://reg/a@" + HEX),
                List.of("/", ":", "@", "sha256:", "..", "%2F", "%3A", "//"),
                input -> {
                    URI uri;
                    try {
                        uri = new URI(new String(input, StandardCharsets.ISO_8859_1));
                    } catch (URISyntaxException e) {
                        throw new IllegalArgumentException(e);
                    }
                    OciLocation.parse(uri);
                }, FetchException.class, IllegalArgumentException.class);
        assertThat(r.accepted()).isPositive();
    }

    /** Over a real loopback HTTP server, so 1/100 of the inputs (each is a request). */
    @Test
    void manifestsFromAHostileRegistryAreResolvedOrAFetchException() throws Exception {
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","artifactType":"%s","config":{"mediaType":"x","digest":"sha256:%s","size":2},
                 "layers":[{"mediaType":"%s","digest":"sha256:%s","size":10},
                  {"mediaType":"%s","digest":"sha256:%s","size":20,"annotations":{"%s":"1","%s":"t"}}]}"""
                .formatted(ImageResolver.OCI_MANIFEST, OndemanddImage.ARTIFACT_TYPE, HEX,
                        OndemanddImage.METADATA_MEDIA_TYPE, HEX, OndemanddImage.BLOB_MEDIA_TYPE, HEX,
                        OndemanddImage.DEVICE_INDEX, OndemanddImage.DEVICE_TAG);
        String index = """
                {"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":1,
                 "platform":{"os":"linux","architecture":"amd64"}}]}""".formatted(ImageResolver.OCI_INDEX,
                ImageResolver.OCI_MANIFEST, HEX);
        try (RangeServer server = new RangeServer();
                OciFetcher oci = new OciFetcher(SourceOptions.DEFAULTS.toBuilder().plainHttp(true)
                        .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).build())) {
            ImageResolver resolver = new ImageResolver(oci);
            URI reference = URI.create("oci://" + server.uri("/").getAuthority() + "/fuzz/image:t");
            var r = Fuzz.run("oci-manifest (http)", 6, Math.max(1_000, Fuzz.inputs() / 100),
                    Fuzz.corpus(manifest, index), JSON_TOKENS, input -> {
                        server.put("/v2/fuzz/image/manifests/t", input);
                        OndemanddImage.of(resolver.resolve(reference));
                    }, FetchException.class);
            assertThat(r.rejected()).isPositive();
        }
    }
}
