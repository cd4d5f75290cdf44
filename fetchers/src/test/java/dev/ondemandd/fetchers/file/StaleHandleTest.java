package dev.ondemandd.fetchers.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A {@code file:} source on a mounted NFS export: when the server forgets a file handle, reads fail with ESTALE
 * and the blob opens the path again — unless the file changed, then it refuses. No NFS kernel mount can be made
 * on the build machine (the kernel NFS client is not loadable there), so ESTALE comes from a {@link FileAccess}
 * seam over the real file system whose handles go stale on command, as the kernel's NFS client reports it.
 */
class StaleHandleTest {

    @TempDir
    Path dir;

    /** Real files; each handle's first {@code staleReads} reads fail as a forgotten NFS handle does. */
    private static final class ForgetfulExport implements FileAccess {
        final AtomicInteger staleReadsLeft = new AtomicInteger();
        final AtomicInteger opens = new AtomicInteger();
        Runnable beforeReopen = () -> { };

        @Override
        public Handle open(Path path) throws IOException {
            if (opens.getAndIncrement() > 0) {
                beforeReopen.run();
            }
            Handle real = SYSTEM.open(path);
            return new Handle() {
                @Override
                public int read(ByteBuffer dst, long position) throws IOException {
                    if (staleReadsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        throw new IOException(STALE_MESSAGE);
                    }
                    return real.read(dst, position);
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public Pin pin(Path path) throws IOException {
            return SYSTEM.pin(path);
        }
    }

    private byte[] write(Path file, int size, long seed) throws IOException {
        byte[] content = new byte[size];
        new Random(seed).nextBytes(content);
        Files.write(file, content);
        return content;
    }

    private static byte[] read(Blob blob, long offset, int length) throws IOException {
        ByteBuffer dst = ByteBuffer.allocate(length);
        blob.read(offset, dst);
        return dst.array();
    }

    @Test
    void aStaleHandleIsReopenedAndTheReadReturnsTheRightBytes() throws Exception {
        Path file = dir.resolve("blob");
        byte[] content = write(file, 64 * 1024, 1);
        ForgetfulExport export = new ForgetfulExport();
        try (Blob blob = new FileFetcher(export).open(file.toUri())) {
            export.staleReadsLeft.set(1);
            assertThat(read(blob, 4096, 8192)).isEqualTo(Arrays.copyOfRange(content, 4096, 12288));
            assertThat(export.opens).hasValue(2);
            // the fresh handle keeps serving without further reopens
            assertThat(read(blob, 0, 100)).isEqualTo(Arrays.copyOf(content, 100));
            assertThat(export.opens).hasValue(2);
        }
    }

    /**
     * A server-side rewrite seen through a stale handle: same size with new bytes and a later mtime, or another
     * size. Either is another file, and its bytes must not be mixed with the pinned one's.
     */
    @ParameterizedTest(name = "rewritten to {0} bytes, mtime moved {1} ms: {2}")
    @CsvSource({"16384, 60000, modified at", "20480, 0, size changed from 16384 to 20480"})
    void aFileChangedBehindTheStaleHandleIsRefusedNotMixed(int newSize, long mtimeShift, String why) throws Exception {
        Path file = dir.resolve("blob");
        write(file, 16 * 1024, 2);
        ForgetfulExport export = new ForgetfulExport();
        try (Blob blob = new FileFetcher(export).open(file.toUri())) {
            export.beforeReopen = () -> {
                try {
                    FileTime before = Files.getLastModifiedTime(file);
                    write(file, newSize, 3);
                    Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + mtimeShift));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            export.staleReadsLeft.set(1);
            assertThatThrownBy(() -> read(blob, 0, 4096))
                    .isInstanceOfSatisfying(FetchException.class, e -> {
                        assertThat(e.errno()).isEqualTo(FetchException.ESTALE);
                        assertThat(e.retryable()).isFalse();
                        assertThat(e).hasMessageContaining(why);
                    });
        }
    }

    @Test
    void aHandleThatStaysStaleEndsInARetryableEioNotALoop() throws Exception {
        Path file = dir.resolve("blob");
        write(file, 8192, 6);
        ForgetfulExport export = new ForgetfulExport();
        try (Blob blob = new FileFetcher(export).open(file.toUri())) {
            export.staleReadsLeft.set(Integer.MAX_VALUE);
            assertThatThrownBy(() -> read(blob, 0, 4096))
                    .isInstanceOfSatisfying(FetchException.class, e -> {
                        assertThat(e.errno()).isEqualTo(FetchException.EIO);
                        assertThat(e.retryable()).isTrue();
                    });
            assertThat(export.opens).hasValue(1 + FileBlob.MAX_REOPENS_PER_READ);
        }
    }

    @Test
    void otherIoErrorsAreNotMistakenForStaleHandles() {
        assertThat(FileAccess.isStale(new IOException("Input/output error"))).isFalse();
        assertThat(FileAccess.isStale(new IOException(FileAccess.STALE_MESSAGE))).isTrue();
        assertThat(FileAccess.isStale(new java.nio.file.FileSystemException("/x", null, FileAccess.STALE_MESSAGE)))
                .isTrue();
    }
}
