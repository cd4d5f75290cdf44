package dev.ondemandd.fetchers.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileFetcherTest {

    @TempDir
    Path dir;

    private byte[] write(String name, int size) throws Exception {
        byte[] content = new byte[size];
        new Random(size).nextBytes(content);
        Files.write(dir.resolve(name), content);
        return content;
    }

    @Test
    void readsAnyRangeWithPositionalReadsAndPinsTheSize() throws Exception {
        byte[] content = write("sha256:abc", 10_000);
        try (Blob blob = new FileFetcher().open(dir.resolve("sha256:abc").toUri())) {
            assertThat(blob.size()).isEqualTo(10_000);
            ByteBuffer dst = ByteBuffer.allocateDirect(1000);
            blob.read(9000, dst);
            assertThat(dst.position()).isEqualTo(1000);
            byte[] got = new byte[1000];
            dst.flip().get(got);
            assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(content, 9000, 10_000));
        }
    }

    @Test
    void missingFilesDirectoriesAndRangesOutsideTheBlobAreTypedErrors() throws Exception {
        FileFetcher fetcher = new FileFetcher();
        assertThatThrownBy(() -> fetcher.open(dir.resolve("nope").toUri()))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.ENOENT));
        assertThatThrownBy(() -> fetcher.open(dir.toUri()))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
        assertThatThrownBy(() -> fetcher.open(java.net.URI.create("file://otherhost/x")))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
        write("small", 100);
        try (Blob blob = fetcher.open(dir.resolve("small").toUri())) {
            assertThatThrownBy(() -> blob.read(50, ByteBuffer.allocate(51)))
                    .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
        }
    }

    @Test
    void aFileThatShrinksUnderTheBlobFailsWithEstaleInsteadOfShortData() throws Exception {
        write("shrinks", 8192);
        try (Blob blob = new FileFetcher().open(dir.resolve("shrinks").toUri())) {
            Files.write(dir.resolve("shrinks"), new byte[100]);
            assertThatThrownBy(() -> blob.read(4096, ByteBuffer.allocate(4096)))
                    .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.ESTALE));
        }
    }

    @Test
    void anInterruptedReadDoesNotBreakTheBlobForOtherReaders() throws Exception {
        byte[] content = write("shared", 4096);
        try (Blob blob = new FileFetcher().open(dir.resolve("shared").toUri())) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Semaphore started = new Semaphore(0);
            Thread reader = Thread.ofVirtual().name("interrupted-reader").start(() -> {
                started.release();
                Thread.currentThread().interrupt();
                try {
                    blob.read(0, ByteBuffer.allocate(10));
                } catch (Exception e) {
                    failure.set(e);
                }
            });
            started.acquire();
            reader.join();
            assertThat(failure.get()).isInstanceOf(FetchException.class);

            ByteBuffer dst = ByteBuffer.allocate(4096);
            blob.read(0, dst);
            assertThat(dst.array()).isEqualTo(content);
        }
    }

    @Test
    void theRegistryFindsFetchersBySchemeAndRefusesDuplicates() throws Exception {
        FetcherRegistry registry = FetcherRegistry.of(new FileFetcher());
        assertThat(registry.forScheme("FILE")).isPresent();
        assertThatThrownBy(() -> registry.open(java.net.URI.create("gopher://x/y")))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
        assertThatThrownBy(() -> FetcherRegistry.of(new FileFetcher(), new FileFetcher()))
                .hasMessageContaining("'file'");
    }
}
