package dev.ondemandd.fetchers.decorators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.RetryPolicy;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.oci.OciFetcher;
import dev.ondemandd.fetchers.oci.OciLocation;
import dev.ondemandd.fetchers.testing.OciPush;
import dev.ondemandd.fetchers.testing.RegistryProcess;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob tampered with in the storage of Debian's real docker-registry (distribution 2.8 serves what its storage
 * holds, unchecked) on loopback: with {@code verifyWholeBlob} no byte of it is ever handed out, whatever range is
 * asked; with it restored, the next read fetches again and serves the right bytes.
 */
@Tag("server")
class TamperedRegistryBlobTest {

    private static final String REPO = "ondemandd/tampered";
    private static final int SIZE = 3 * 1024 * 1024 + 5;
    private static final byte[] CONTENT = TestBytes.of(SIZE, 23);
    /** Where the tampering flips a byte: far from the ranges read, so only a check of the whole can notice. */
    private static final int TAMPERED_AT = 2 * 1024 * 1024 + 17;

    @TempDir
    Path work;
    private RegistryProcess registry;
    private String digest;
    private Path stored;
    private final AtomicInteger mismatches = new AtomicInteger();
    private final FetchMetrics counting = new FetchMetrics() {
        @Override
        public void digestMismatch(String source) {
            mismatches.incrementAndGet();
        }
    };

    @BeforeEach
    void pushAndTamper() throws Exception {
        Path storage = work.resolve("storage");
        registry = RegistryProcess.start(storage, work, "");
        digest = OciPush.blob(registry.base(), REPO, CONTENT);
        String hex = digest.substring("sha256:".length());
        stored = storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex)
                .resolve("data");
        assertThat(Files.readAllBytes(stored)).as("the registry's stored blob").isEqualTo(CONTENT);
        byte[] tampered = CONTENT.clone();
        tampered[TAMPERED_AT] ^= 0x5a;
        Files.write(stored, tampered);
    }

    @AfterEach
    void stop() throws Exception {
        registry.close();
    }

    private Fetcher fetcher(boolean verifyWholeBlob) throws FetchException {
        SourceOptions options = SourceOptions.DEFAULTS.toBuilder().plainHttp(true).retry(RetryPolicy.NONE)
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10)).verifyWholeBlob(verifyWholeBlob).build();
        return Decorators.standard(new OciFetcher(options), "oci", options, counting);
    }

    private URI blob() throws FetchException {
        return OciLocation.blob(registry.oci(REPO), digest);
    }

    private static byte[] read(Blob blob, long offset, int length) throws Exception {
        ByteBuffer dst = ByteBuffer.allocateDirect(length);
        blob.read(offset, dst);
        byte[] out = new byte[length];
        dst.flip().get(out);
        return out;
    }

    @Test
    void noByteOfATamperedBlobIsServedAndTheRestoredBlobIsServedRight() throws Exception {
        try (Fetcher f = fetcher(true); Blob blob = f.open(blob())) {
            for (long offset : new long[] {0, 4096, TAMPERED_AT - 100, SIZE - 5}) {
                ByteBuffer dst = ByteBuffer.allocateDirect(5);
                assertThatThrownBy(() -> blob.read(offset, dst)).as("range at " + offset)
                        .isInstanceOfSatisfying(FetchException.class, e -> {
                            assertThat(e.errno()).isEqualTo(FetchException.EIO);
                            assertThat(e.getMessage()).contains("does not match its digest");
                        });
                assertThat(dst.position()).as("nothing delivered").isZero();
            }
            assertThat(mismatches).as("each read fetched the whole again and compared").hasValue(4);

            Files.write(stored, CONTENT);

            assertThat(read(blob, 0, 4096)).isEqualTo(TestBytes.range(CONTENT, 0, 4096));
            assertThat(read(blob, TAMPERED_AT - 100, 200)).isEqualTo(TestBytes.range(CONTENT, TAMPERED_AT - 100, 200));
            assertThat(read(blob, 0, SIZE)).isEqualTo(CONTENT);
            assertThat(mismatches).hasValue(4);
        }
    }

    @Test
    void withoutWholeBlobVerificationARangeOfATamperedBlobCannotBeCheckedButTheWholeIs() throws Exception {
        try (Fetcher f = fetcher(false); Blob blob = f.open(blob())) {
            // The honest limit: a range is served as the registry has it (a whole-blob digest cannot check it).
            assertThat(read(blob, TAMPERED_AT, 1)[0]).isEqualTo((byte) (CONTENT[TAMPERED_AT] ^ 0x5a));
            assertThatThrownBy(() -> read(blob, 0, SIZE)).isInstanceOfSatisfying(FetchException.class,
                    e -> assertThat(e.errno()).isEqualTo(FetchException.EIO));
            assertThat(mismatches).hasValue(1);
        }
    }

    @Test
    void aReaderInterruptedWhileWaitingDoesNotAbortTheVerificationForOthers() throws Exception {
        Files.write(stored, CONTENT);
        try (Fetcher f = fetcher(true); Blob blob = f.open(blob())) {
            Thread waiting = Thread.ofVirtual().start(() -> {
                try {
                    blob.read(0, ByteBuffer.allocateDirect(1));
                } catch (Exception expected) {
                    // interrupted
                }
            });
            waiting.interrupt();
            waiting.join();
            assertThat(read(blob, SIZE - 4096, 4096)).isEqualTo(TestBytes.range(CONTENT, SIZE - 4096, 4096));
        }
    }
}
