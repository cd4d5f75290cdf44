package dev.ondemandd.daemon.core;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A fixed set of direct buffers, each page aligned and a whole number of pages long, allocated once: the
 * hot path allocates nothing, and direct I/O on the cache file accepts every one of them.
 */
final class BufferPool {

    private final BlockingQueue<ByteBuffer> free;
    private final int bufferSize;

    BufferPool(int count, int bufferSize, int alignment) {
        if (bufferSize % alignment != 0) {
            throw new IllegalArgumentException("buffer size " + bufferSize + " is not a multiple of " + alignment);
        }
        this.bufferSize = bufferSize;
        this.free = new ArrayBlockingQueue<>(count);
        for (int i = 0; i < count; i++) {
            ByteBuffer raw = ByteBuffer.allocateDirect(bufferSize + alignment);
            free.add(raw.alignedSlice(alignment).limit(bufferSize).slice());
        }
    }

    /** Takes a buffer, cleared; waits while all are in use. */
    ByteBuffer acquire() throws InterruptedException {
        return free.take().clear();
    }

    void release(ByteBuffer buffer) {
        if (buffer.capacity() != bufferSize || !free.offer(buffer)) {
            throw new IllegalStateException("buffer released twice or not from this pool");
        }
    }

    int available() {
        return free.size();
    }
}
