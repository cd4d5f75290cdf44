package dev.ondemandd.protocol.nativeio;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers whose address and capacity are multiples of the page size, as direct I/O through a cachefiles
 * anonymous fd wants them, and a bounded pool of them for the hot path.
 */
public final class PageAlignedBuffers {

    private static final int PAGE_SIZE = pageSizeOrDefault();

    private PageAlignedBuffers() {
    }

    /** The system page size (sysconf), 4096 if it cannot be asked. */
    public static int pageSize() {
        return PAGE_SIZE;
    }

    /** {@code n} rounded up to a page multiple. */
    public static long roundUp(long n) {
        if (n < 0 || n > Long.MAX_VALUE - PAGE_SIZE) {
            throw new IllegalArgumentException("cannot page-align " + n);
        }
        return (n + PAGE_SIZE - 1) & -(long) PAGE_SIZE;
    }

    /** Whether {@code offset} is a page multiple. */
    public static boolean isAligned(long offset) {
        return (offset & (PAGE_SIZE - 1)) == 0;
    }

    /**
     * Whether {@code b} is direct and its memory from the position on starts on a multiple of {@code alignment}
     * (a power of two), as direct I/O on ext4/xfs wants of the user buffer.
     */
    public static boolean isAligned(ByteBuffer b, int alignment) {
        if (!b.isDirect() || Integer.bitCount(alignment) != 1) {
            return false;
        }
        long address = com.sun.jna.Pointer.nativeValue(com.sun.jna.Native.getDirectBufferPointer(b)) + b.position();
        return (address & (alignment - 1)) == 0;
    }

    /** A direct buffer starting on a page boundary, with capacity {@code size} rounded up to a page multiple. */
    public static ByteBuffer allocate(int size) {
        if (size <= 0 || size > Integer.MAX_VALUE - 2 * PAGE_SIZE) {
            throw new IllegalArgumentException("buffer size " + size);
        }
        int capacity = (int) roundUp(size);
        ByteBuffer raw = ByteBuffer.allocateDirect(capacity + PAGE_SIZE);
        return raw.alignedSlice(PAGE_SIZE).slice(0, capacity);
    }

    private static int pageSizeOrDefault() {
        try {
            return Posix.pageSize();
        } catch (LinkageError e) {
            return 4096;
        }
    }

    /**
     * A bounded pool of equally sized page-aligned buffers. {@link #acquire()} never blocks: when the pool is
     * empty it allocates (and counts it); {@link #release} keeps at most {@code maxPooled} buffers.
     */
    public static final class Pool {

        private final int bufferSize;
        private final ArrayBlockingQueue<ByteBuffer> free;
        private final AtomicLong allocated = new AtomicLong();

        /** @param bufferSize each buffer's capacity, rounded up to a page multiple */
        public Pool(int bufferSize, int maxPooled) {
            if (maxPooled <= 0) {
                throw new IllegalArgumentException("maxPooled " + maxPooled);
            }
            this.bufferSize = (int) roundUp(bufferSize);
            this.free = new ArrayBlockingQueue<>(maxPooled);
        }

        /** The capacity of every buffer of this pool. */
        public int bufferSize() {
            return bufferSize;
        }

        /** A cleared buffer (position 0, limit = capacity). */
        public ByteBuffer acquire() {
            ByteBuffer b = free.poll();
            if (b == null) {
                allocated.incrementAndGet();
                return allocate(bufferSize);
            }
            return b;
        }

        /** Gives a buffer back; one not from a pool of this size is refused. */
        public void release(ByteBuffer b) {
            if (!b.isDirect() || b.capacity() != bufferSize) {
                throw new IllegalArgumentException("buffer of capacity " + b.capacity() + " is not from this pool");
            }
            b.clear();
            free.offer(b);
        }

        /** Buffers allocated so far: a pool that keeps allocating is too small. */
        public long allocated() {
            return allocated.get();
        }

        /** Buffers waiting in the pool. */
        public int pooled() {
            return free.size();
        }
    }
}
