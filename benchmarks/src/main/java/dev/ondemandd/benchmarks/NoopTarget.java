package dev.ondemandd.benchmarks;

import dev.ondemandd.daemon.core.CacheTarget;
import java.nio.ByteBuffer;

/** A target that takes the bytes and drops them: the dispatcher measured without a filesystem under it. */
final class NoopTarget implements CacheTarget {
    @Override
    public void write(ByteBuffer src, long offset) {
        src.position(src.limit());
    }

    @Override
    public void close() {
    }
}
