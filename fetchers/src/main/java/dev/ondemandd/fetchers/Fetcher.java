package dev.ondemandd.fetchers;

import java.io.IOException;
import java.net.URI;
import java.util.Set;

/**
 * A source of bytes for one URL scheme ({@code file}, {@code http}, {@code oci}, {@code nfs}, …).
 *
 * <p>A fetcher knows nothing of the kernel: it resolves a fully expanded URL to a {@link Blob} whose size
 * is pinned when it is opened, and reads byte ranges of it. Implementations are thread-safe; decorators
 * (retry, metrics, digest verification) wrap a fetcher or a blob instead of living inside each one.
 */
public interface Fetcher extends AutoCloseable {

    /** The URL schemes this fetcher serves, lower case. */
    Set<String> schemes();

    /**
     * Opens the blob at {@code location}. The returned blob's size never changes while it is open.
     *
     * @throws FetchException with {@link FetchException#errno()} saying what the kernel should be told
     *     (ENOENT when the blob does not exist, EACCES when refused, EIO otherwise)
     */
    Blob open(URI location) throws FetchException;

    @Override
    default void close() throws IOException {
    }
}
