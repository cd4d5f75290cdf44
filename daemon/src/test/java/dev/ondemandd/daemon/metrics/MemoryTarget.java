package dev.ondemandd.daemon.metrics;

import java.nio.ByteBuffer;
import java.util.Arrays;

import dev.ondemandd.daemon.core.CacheTarget;

/** A cache object in memory: what the core wrote, where. */
final class MemoryTarget implements CacheTarget {
    private final byte[] bytes;
    private volatile boolean closed;

    MemoryTarget(long size) {
        this.bytes = new byte[Math.toIntExact(size)];
    }

    @Override
    public synchronized void write(ByteBuffer src, long offset) {
        int n = Math.min(src.remaining(), bytes.length - (int) offset);
        src.get(src.position(), bytes, (int) offset, n);
        src.position(src.limit());
    }

    synchronized byte[] content() {
        return Arrays.copyOf(bytes, bytes.length);
    }

    boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
    }
}
