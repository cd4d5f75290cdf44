package dev.ondemandd.fetchers.decorators;

import dev.ondemandd.fetchers.Blob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;

/** A blob that forwards everything to another; decorators override what they change. */
abstract class ForwardingBlob implements Blob {

    protected final Blob inner;

    ForwardingBlob(Blob inner) {
        this.inner = inner;
    }

    @Override
    public long size() {
        return inner.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        inner.read(offset, dst);
    }

    @Override
    public Optional<String> digest() {
        return inner.digest();
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() throws IOException {
        inner.close();
    }
}
