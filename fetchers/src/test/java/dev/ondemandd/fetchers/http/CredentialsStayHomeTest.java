package dev.ondemandd.fetchers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.Test;

/** SECURITY.md: a source's credentials go to its own origin only, and never into a log line or an error. */
class CredentialsStayHomeTest {

    private static final Credentials ALICE = new Credentials("alice", "s3cr3t-pa55");
    private static final byte[] CONTENT = TestBytes.of(100_000, 9);
    private static final SourceOptions OPTIONS = SourceOptions.DEFAULTS.toBuilder().credentials(ALICE)
            .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(3)).build();

    @Test
    void basicCredentialsGoToTheOriginButNotAcrossARedirectToAnotherHost() throws Exception {
        try (RangeServer storage = new RangeServer().put("/blob", CONTENT);
                RangeServer origin = new RangeServer().redirect("/blob", storage.uri("/blob"));
                HttpFetcher fetcher = new HttpFetcher(OPTIONS)) {
            Blob blob = fetcher.open(origin.uri("/blob"));
            ByteBuffer dst = ByteBuffer.allocate(1000);
            blob.read(500, dst);

            assertThat(dst.array()).isEqualTo(TestBytes.range(CONTENT, 500, 1000));
            assertThat(origin.seen()).isNotEmpty().allSatisfy(s -> assertThat(s.authorization())
                    .isEqualTo(ALICE.basicAuthorization()));
            assertThat(storage.seen()).isNotEmpty().allSatisfy(s -> assertThat(s.authorization()).isNull());
        }
    }

    @Test
    void credentialsAppearInNoLogLineAndNoErrorMessage() throws Exception {
        String encoded = Base64.getEncoder().encodeToString("alice:s3cr3t-pa55".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream logged = new ByteArrayOutputStream();
        StreamHandler handler = new StreamHandler(logged, new SimpleFormatter());
        handler.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        Level saved = root.getLevel();
        root.setLevel(Level.ALL);
        root.addHandler(handler);
        try (RangeServer server = new RangeServer().put("/blob", CONTENT);
                HttpFetcher fetcher = new HttpFetcher(OPTIONS)) {
            server.fault(RangeServer.Fault.UNAVAILABLE, RangeServer.Fault.WRONG_RANGE);
            Blob blob = fetcher.open(server.uri("/blob"));
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> blob.read(0, ByteBuffer.allocate(10))).isInstanceOfSatisfying(
                        FetchException.class, e -> assertThat(e.toString()).doesNotContain("s3cr3t", encoded));
            }
            assertThatThrownBy(() -> fetcher.open(server.uri("/missing"))).isInstanceOfSatisfying(
                    FetchException.class, e -> assertThat(e.toString()).doesNotContain("s3cr3t", encoded));
            assertThat(blob.describe() + OPTIONS).doesNotContain("s3cr3t", encoded);
        } finally {
            root.removeHandler(handler);
            root.setLevel(saved);
        }
        handler.flush();
        assertThat(logged.toString(StandardCharsets.UTF_8)).doesNotContain("s3cr3t", encoded);
    }
}
