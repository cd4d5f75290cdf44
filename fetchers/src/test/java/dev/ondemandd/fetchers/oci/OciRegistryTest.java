package dev.ondemandd.fetchers.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.decorators.Decorators;
import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.testing.OciPush;
import dev.ondemandd.fetchers.testing.Packages;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import dev.ondemandd.fetchers.testing.TokenServer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI fetcher against Debian's real docker-registry (distribution 2.8) on loopback: anonymous, Basic and
 * token auth, redirects to storage, a storage that ignores Range, mirrors, image resolution.
 */
@Tag("server")
class OciRegistryTest {

    private static final String REPO = "ondemandd/test-image";
    private static final int SIZE = 3 * 1024 * 1024 + 5;
    private static final byte[] CONTENT = TestBytes.of(SIZE, 11);
    private static final Credentials ALICE = new Credentials("alice", "wonderland-s3cret");

    @TempDir
    static Path work;
    private static Path storage;
    private static RegistryProcess open;
    private static String digest;

    private final List<AutoCloseable> closeMe = new ArrayList<>();

    @BeforeAll
    static void startAndPush() throws Exception {
        storage = work.resolve("storage");
        open = RegistryProcess.start(storage, work, "");
        digest = OciPush.blob(open.base(), REPO, CONTENT);
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (open != null) {
            open.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeMe.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T c) {
        closeMe.add(c);
        return c;
    }

    private OciFetcher fetcher(SourceOptions options) throws FetchException {
        return closing(new OciFetcher(options.toBuilder().plainHttp(true)
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5)).build()));
    }

    private static SourceOptions.Builder options() {
        return SourceOptions.DEFAULTS.toBuilder();
    }

    private static URI blobOn(RegistryProcess r) throws FetchException {
        return OciLocation.blob(r.oci(REPO), digest);
    }

    private static byte[] read(Blob blob, long offset, int length) throws Exception {
        ByteBuffer dst = ByteBuffer.allocateDirect(length);
        blob.read(offset, dst);
        assertThat(dst.hasRemaining()).isFalse();
        byte[] out = new byte[length];
        dst.flip().get(out);
        return out;
    }

    private static void assertServes(Blob blob) throws Exception {
        assertThat(blob.size()).isEqualTo(SIZE);
        assertThat(blob.digest()).contains(digest);
        assertThat(read(blob, 0, 4096)).isEqualTo(TestBytes.range(CONTENT, 0, 4096));
        assertThat(read(blob, 777_777, 1_500_000)).isEqualTo(TestBytes.range(CONTENT, 777_777, 1_500_000));
        assertThat(read(blob, SIZE - 3, 3)).isEqualTo(TestBytes.range(CONTENT, SIZE - 3, 3));
    }

    private RegistryProcess registry(String extraConfig) throws Exception {
        return closing(RegistryProcess.start(storage, work, extraConfig));
    }

    private RegistryProcess basicRegistry(String extraConfig) throws Exception {
        Packages.require("/usr/bin/htpasswd", "apache2-utils");
        Path htpasswd = work.resolve("htpasswd");
        Process p = new ProcessBuilder("htpasswd", "-Bbc", htpasswd.toString(), ALICE.username(), ALICE.password())
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0).as("htpasswd ran").isTrue();
        return registry("""
                auth:
                  htpasswd:
                    realm: ondemandd-test
                    path: %s
                %s""".formatted(htpasswd, extraConfig));
    }

    @Test
    void anonymousRegistryServesRangesByDigest() throws Exception {
        assertServes(fetcher(options().build()).open(blobOn(open)));
    }

    @Test
    void wholeBlobReadIsVerifiedAgainstItsDigest() throws Exception {
        Fetcher f = Decorators.standard(fetcher(options().build()), "oci", RetryPolicy.NONE, FetchMetrics.NONE);
        Blob blob = f.open(blobOn(open));
        assertThat(read(blob, 0, SIZE)).isEqualTo(CONTENT);
    }

    @Test
    void unknownDigestIsEnoent() throws Exception {
        URI missing = OciLocation.blob(open.oci(REPO), OciPush.digest("not pushed".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> fetcher(options().build()).open(missing))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.ENOENT));
    }

    @Test
    void basicAuthRegistryRefusesAnonymousAndServesWithCredentials() throws Exception {
        RegistryProcess basic = basicRegistry("");

        assertThatThrownBy(() -> fetcher(options().build()).open(blobOn(basic)))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EACCES));
        assertServes(fetcher(options().credentials(ALICE).build()).open(blobOn(basic)));
    }

    @Test
    void basicCredentialsComeFromADockerConfigAndAreNeverShown() throws Exception {
        RegistryProcess basic = basicRegistry("");
        Path config = work.resolve("docker-config.json");
        String auth = Base64.getEncoder().encodeToString(
                (ALICE.username() + ":" + ALICE.password()).getBytes(StandardCharsets.UTF_8));
        Files.writeString(config, "{\"auths\":{\"http://" + basic.authority() + "/v2/\":{\"auth\":\"" + auth + "\"}}}");
        Files.setPosixFilePermissions(config, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        OciFetcher fetcher = fetcher(options().dockerConfig(config).build());

        Blob blob = fetcher.open(blobOn(basic));
        assertServes(blob);
        assertThat(blob.describe() + fetcher.endpoints(OciLocation.parse(blobOn(basic)), "blobs"))
                .doesNotContain(ALICE.password()).doesNotContain(auth);
    }

    @Test
    void bearerTokenFlowWithCredentialsAndTokenCachedPerScope() throws Exception {
        TokenServer tokens = closing(new TokenServer(work.resolve("tokens-a"), ALICE));
        RegistryProcess registry = registry(tokens.registryAuthConfig());

        Blob blob = fetcher(options().credentials(ALICE).build()).open(blobOn(registry));
        assertServes(blob);

        assertThat(tokens.scopes()).containsExactly("repository:" + REPO + ":pull");
        assertThat(tokens.authorizations()).containsOnly(ALICE.basicAuthorization());
    }

    @Test
    void bearerWithoutCredentialsIsAnonymousPull() throws Exception {
        TokenServer tokens = closing(new TokenServer(work.resolve("tokens-b"), null));
        RegistryProcess registry = registry(tokens.registryAuthConfig());

        assertServes(fetcher(options().build()).open(blobOn(registry)));
        assertThat(tokens.authorizations()).containsOnly("null");
    }

    @Test
    void tokenIsRefreshedBeforeItExpires() throws Exception {
        TokenServer tokens = closing(new TokenServer(work.resolve("tokens-c"), null)).expiresIn(2);
        RegistryProcess registry = registry(tokens.registryAuthConfig());
        Blob blob = fetcher(options().build()).open(blobOn(registry));
        assertThat(read(blob, 10, 10)).isEqualTo(TestBytes.range(CONTENT, 10, 10));
        assertThat(tokens.scopes()).hasSize(1);

        Thread.sleep(2100);
        assertThat(read(blob, 20, 10)).isEqualTo(TestBytes.range(CONTENT, 20, 10));
        assertThat(tokens.scopes()).hasSize(2);
    }

    @Test
    void aTokenTheRegistryRejectsIsRefreshedOnceOn401() throws Exception {
        TokenServer tokens = closing(new TokenServer(work.resolve("tokens-d"), null)).issueExpired(1);
        RegistryProcess registry = registry(tokens.registryAuthConfig());

        Blob blob = fetcher(options().build()).open(blobOn(registry));
        assertThat(read(blob, 5, 100)).isEqualTo(TestBytes.range(CONTENT, 5, 100));
        assertThat(tokens.scopes()).hasSize(2);
    }

    @Test
    void aTokenServerThatOnlyIssuesRejectedTokensEndsInEacces() throws Exception {
        TokenServer tokens = closing(new TokenServer(work.resolve("tokens-e"), null)).issueExpired(100);
        RegistryProcess registry = registry(tokens.registryAuthConfig());

        assertThatThrownBy(() -> fetcher(options().build()).open(blobOn(registry)))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EACCES));
        assertThat(tokens.scopes()).hasSize(2);
    }

    @Test
    void redirectToStorageIsFollowedCachedAndGetsNoAuthorization() throws Exception {
        RangeServer store = closing(new RangeServer().root(storage));
        RegistryProcess registry = basicRegistry(redirectTo(store));

        Blob blob = fetcher(options().credentials(ALICE).build()).open(blobOn(registry));
        assertServes(blob);

        assertThat(store.seen()).isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isNull());
        assertThat(store.seen()).filteredOn(s -> s.method().equals("GET")).hasSize(3);
        // Three reads, one trip through the registry: the redirect was reused.
        assertThat(registry.requests("GET", "/blobs/" + digest)).isEqualTo(1);
    }

    @Test
    void storageThatIgnoresRangeStillGivesTheRightBytes() throws Exception {
        RangeServer store = closing(new RangeServer().root(storage).ignoreRanges(true));
        RegistryProcess registry = registry(redirectTo(store));

        assertServes(fetcher(options().build()).open(blobOn(registry)));
        assertThat(store.seen()).filteredOn(s -> s.method().equals("GET")).extracting(RangeServer.Seen::range)
                .containsExactly("bytes=0-4095", null, null);
    }

    private static String redirectTo(RangeServer store) {
        return """
                middleware:
                  storage:
                    - name: redirect
                      options:
                        baseurl: %s
                """.formatted(store.uri("/"));
    }

    @Test
    void mirrorsAreTriedInOrderWithTheUpstreamLast() throws Exception {
        RegistryProcess empty = closing(RegistryProcess.start(work.resolve("empty-storage"), work, ""));
        URI dead = URI.create("oci://127.0.0.1:" + Packages.freePort());
        OciFetcher fetcher = fetcher(options().mirrors(List.of(dead, empty.oci(""))).build());

        assertServes(fetcher.open(blobOn(open)));
        assertThat(empty.requests("HEAD", "/blobs/" + digest)).isEqualTo(1);
    }

    @Test
    void aMirrorHoldingTheBlobServesItAndTheUpstreamIsNotAsked() throws Exception {
        RegistryProcess mirror = closing(RegistryProcess.start(work.resolve("mirror-storage"), work, ""));
        OciPush.blob(mirror.base(), REPO, CONTENT);
        RegistryProcess upstream = registry("");

        assertServes(fetcher(options().mirrors(List.of(mirror.oci(""))).build()).open(blobOn(upstream)));
        assertThat(mirror.requests("GET", "/blobs/" + digest)).isEqualTo(3);
        assertThat(upstream.requests("GET", "/blobs/")).isZero();
        assertThat(upstream.requests("HEAD", "/blobs/")).isZero();
    }

    @Test
    void imageReferenceResolvesByTagAndDigestToTheOndemanddLayout() throws Exception {
        byte[] meta = TestBytes.of(8192, 1);
        byte[] data = TestBytes.of(20000, 2);
        String metaDigest = OciPush.blob(open.base(), REPO, meta);
        String dataDigest = OciPush.blob(open.base(), REPO, data);
        String configDigest = OciPush.blob(open.base(), REPO, "{}".getBytes(StandardCharsets.UTF_8));
        String manifest = """
                {"schemaVersion":2,"mediaType":"%s","artifactType":"%s",
                 "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"%s","size":2},
                 "layers":[
                  {"mediaType":"%s","digest":"%s","size":%d},
                  {"mediaType":"%s","digest":"%s","size":%d,
                   "annotations":{"%s":"1","%s":"%s"}}]}"""
                .formatted(ImageResolver.OCI_MANIFEST, OndemanddImage.ARTIFACT_TYPE, configDigest,
                        OndemanddImage.METADATA_MEDIA_TYPE, metaDigest, meta.length,
                        OndemanddImage.BLOB_MEDIA_TYPE, dataDigest, data.length, OndemanddImage.DEVICE_INDEX,
                        OndemanddImage.DEVICE_TAG, dataDigest.substring(7));
        String manifestDigest = OciPush.manifest(open.base(), REPO, "v1", ImageResolver.OCI_MANIFEST, manifest);
        String index = """
                {"schemaVersion":2,"mediaType":"%s","manifests":[
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"os":"linux","architecture":"amd64"}}]}"""
                .formatted(ImageResolver.OCI_INDEX, ImageResolver.OCI_MANIFEST, manifestDigest,
                        manifest.getBytes(StandardCharsets.UTF_8).length);
        OciPush.manifest(open.base(), REPO, "multi", ImageResolver.OCI_INDEX, index);
        ImageResolver resolver = new ImageResolver(fetcher(options().build()));

        for (String ref : List.of(":v1", "@" + manifestDigest, ":multi")) {
            ResolvedImage image = resolver.resolve(URI.create("oci://" + open.authority() + "/" + REPO + ref));
            OndemanddImage od = OndemanddImage.of(image);
            assertThat(image.manifestDigest()).isEqualTo(manifestDigest);
            assertThat(image.artifactType()).isEqualTo(OndemanddImage.ARTIFACT_TYPE);
            assertThat(od.metadata().digest()).isEqualTo(metaDigest);
            assertThat(od.blobs()).singleElement().satisfies(b -> {
                assertThat(b.descriptor().digest()).isEqualTo(dataDigest);
                assertThat(b.deviceIndex()).isEqualTo(1);
                assertThat(b.deviceTag()).isEqualTo(dataDigest.substring(7));
            });
        }
        Blob metaBlob = fetcher(options().build()).open(OciLocation.blob(open.oci(REPO), metaDigest.substring(7)));
        assertThat(read(metaBlob, 0, meta.length)).isEqualTo(meta);
    }
}
