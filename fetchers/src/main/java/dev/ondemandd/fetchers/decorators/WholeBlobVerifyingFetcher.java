package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.protocol.nativeio.NativeFile;
import dev.ondemandd.protocol.nativeio.Posix;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Serves no byte of a blob with a {@code sha256:} digest before the whole blob was checked against it (a
 * source's {@code verifyWholeBlob}): the first read fetches the blob whole, once, into an unlinked staging file
 * under {@code stagingDir}, hashing it as it streams; only when the digest matches are reads answered — from the
 * staging file. A mismatch fails every read waiting for it (EIO) and is counted; the next read fetches again (a
 * torn transfer or a bad mirror may do better). The mismatched bytes are never handed out.
 *
 * <p>The staging runs on its own virtual thread, so a reader whose deadline passes (the core interrupts it) does
 * not abort it for the others. The staging file takes the blob's size on disk while the blob is open. Blobs
 * without a sha256 digest pass through unchanged.
 */
public final class WholeBlobVerifyingFetcher extends ForwardingFetcher {

    /** Bytes fetched per step of a staging. */
    static final int CHUNK = 1 << 20;

    private final Path stagingDir;

    public WholeBlobVerifyingFetcher(Fetcher inner, FetchMetrics metrics, String source, Path stagingDir) {
        super(inner, metrics, source);
        this.stagingDir = stagingDir;
    }

    @Override
    public Blob open(URI location) throws FetchException {
        Blob blob = inner.open(location);
        byte[] expected = blob.digest().map(Digests::expectedSha256).orElse(null);
        if (expected == null) {
            return blob;
        }
        return new StagedBlob(blob, expected);
    }

    private final class StagedBlob extends ForwardingBlob {
        private final byte[] expected;
        /** The current (or last) staging; a failed one is replaced by the next read. Guarded by this. */
        private CompletableFuture<NativeFile> staging;
        /** Guarded by this. */
        private boolean closed;

        StagedBlob(Blob inner, byte[] expected) {
            super(inner);
            this.expected = expected;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            NativeFile file = staged();
            ByteBuffer direct = dst.isDirect() ? dst : ByteBuffer.allocateDirect(dst.remaining());
            int start = direct.position();
            while (direct.hasRemaining()) {
                if (file.pread(direct, offset + direct.position() - start) <= 0) {
                    throw new FetchException(describe() + ": staging file ended early", FetchException.EIO, false);
                }
            }
            if (direct != dst) {
                dst.put(direct.flip());
            }
        }

        /** The verified staging file, starting a staging when none is under way or the last one failed. */
        private NativeFile staged() throws IOException {
            CompletableFuture<NativeFile> current;
            synchronized (this) {
                if (closed) {
                    throw new FetchException(describe() + " is closed", FetchException.EIO, false);
                }
                if (staging == null || staging.isCompletedExceptionally()) {
                    CompletableFuture<NativeFile> next = new CompletableFuture<>();
                    staging = next;
                    Thread.ofVirtual().name("ondemandd-verify-", 0).start(() -> stage(next));
                }
                current = staging;
            }
            try {
                return current.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(describe() + ": interrupted waiting for its verification");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof FetchException fe) {
                    throw new FetchException(fe.getMessage(), fe.errno(), false, fe);
                }
                throw new FetchException(describe() + ": staging failed: " + cause.getMessage(), FetchException.EIO,
                        false, cause);
            }
        }

        private void stage(CompletableFuture<NativeFile> result) {
            NativeFile file = null;
            try {
                Path path = Files.createTempFile(stagingDir, "ondemandd-verify-", ".blob");
                try {
                    file = NativeFile.open(path.toString(), Posix.O_RDWR | Posix.O_CLOEXEC);
                } finally {
                    Files.delete(path); // the open fd keeps it; nothing is left behind by a crash
                }
                MessageDigest sha = Digests.sha256();
                long size = inner.size();
                ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(CHUNK, Math.max(1, size)));
                for (long pos = 0; pos < size; ) {
                    buf.clear().limit((int) Math.min(buf.capacity(), size - pos));
                    inner.read(pos, buf);
                    buf.flip();
                    sha.update(buf.duplicate());
                    file.pwriteFully(buf, pos);
                    pos += buf.limit();
                }
                if (!MessageDigest.isEqual(expected, sha.digest())) {
                    metrics.digestMismatch(source);
                    throw new FetchException(describe() + ": content does not match its digest (" + size
                            + " bytes fetched, none served)", FetchException.EIO, false);
                }
                boolean keep;
                synchronized (this) {
                    keep = !closed;
                }
                if (!keep) {
                    throw new FetchException(describe() + " closed during its verification", FetchException.EIO,
                            false);
                }
                result.complete(file);
            } catch (IOException | RuntimeException e) {
                closeQuietly(file);
                result.completeExceptionally(e);
            }
        }

        @Override
        public void close() throws IOException {
            CompletableFuture<NativeFile> last;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                last = staging;
            }
            if (last != null) {
                last.thenAccept(StagedBlob::closeQuietly);
            }
            inner.close();
        }

        private static void closeQuietly(NativeFile file) {
            if (file == null) {
                return;
            }
            try {
                file.close();
            } catch (IOException e) {
                // Nothing to do: the staging file was unlinked, the fd is gone either way.
            }
        }
    }
}
