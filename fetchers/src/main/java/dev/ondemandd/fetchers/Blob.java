package dev.ondemandd.fetchers;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * One opened blob: a fixed-size byte sequence that can be read at any offset, from any thread.
 *
 * <p>{@link #read} fills {@code dst} from its position to its limit with the bytes at {@code offset}, or
 * throws: a short read is never returned silently, so the core never writes a range it did not get whole.
 */
public interface Blob extends AutoCloseable {

    /** The blob's size in bytes, pinned when it was opened. */
    long size();

    /**
     * Reads {@code dst.remaining()} bytes starting at {@code offset} into {@code dst}, advancing its position
     * to its limit. {@code offset + dst.remaining()} never exceeds {@link #size()}.
     *
     * @throws FetchException when the bytes cannot be had whole and right
     */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** The blob's content digest ({@code sha256:<hex>}) where the source knows it. */
    default Optional<String> digest() {
        return Optional.empty();
    }

    /**
     * Whether {@link #read} never waits (the bytes are in this process's memory): the core may then run a small
     * fetch of it on the thread that submitted the READ instead of handing it to a fetch thread.
     */
    default boolean inMemory() {
        return false;
    }

    /** A short description for logs and metrics, with no credentials in it. */
    String describe();

    @Override
    default void close() throws IOException {
    }
}
