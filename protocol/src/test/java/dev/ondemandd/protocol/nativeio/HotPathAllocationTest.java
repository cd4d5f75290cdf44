package dev.ondemandd.protocol.nativeio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hot path (decode a READ, pwrite a pooled page, pread it) measured with the JVM's per-thread allocation
 * counter, after warm-up: the native calls allocate nothing, a decode allocates at most its record.
 */
class HotPathAllocationTest {

    static final int WARMUP = 30_000;
    static final int MEASURED = 100_000;

    @TempDir
    Path dir;

    interface Op {
        void run() throws Exception;
    }

    static double bytesPerCall(Op op) throws Exception {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "the JVM cannot count allocated bytes");
        for (int i = 0; i < WARMUP; i++) {
            op.run();
        }
        long id = Thread.currentThread().threadId();
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < MEASURED; i++) {
            op.run();
        }
        return (threads.getThreadAllocatedBytes(id) - before) / (double) MEASURED;
    }

    @Test
    void pwriteAndPreadOfAPooledPageAllocateNothing() throws Exception {
        try (NativeFile file = NativeFile.open(dir.resolve("f").toString(), Posix.O_RDWR | Posix.O_CREAT)) {
            PageAlignedBuffers.Pool pool = new PageAlignedBuffers.Pool(PageAlignedBuffers.pageSize(), 4);
            int fd = file.fd();
            double perCall = bytesPerCall(() -> {
                ByteBuffer b = pool.acquire();
                Posix.pwrite(fd, b, 0);
                b.clear();
                Posix.pread(fd, b, 0);
                pool.release(b);
            });
            System.out.printf("hot path: pwrite+pread of a pooled page: %.2f bytes allocated per round%n", perCall);
            assertThat(perCall).isLessThan(1.0);
        }
    }

    @Test
    void decodingAReadAllocatesAtMostItsRecord() throws Exception {
        ByteBuffer msg = ByteBuffer.allocateDirect(1024);
        CachefilesCodec.encode(new ReadMessage(7, 3, 4096, 8192), msg);
        msg.flip();
        long[] sink = new long[1];
        double perCall = bytesPerCall(() -> {
            msg.position(0);
            CachefilesMessage m = CachefilesCodec.decode(msg);
            sink[0] += m.msgId();
        });
        System.out.printf("hot path: decode of a READ: %.2f bytes allocated per message%n", perCall);
        assertThat(perCall).isLessThanOrEqualTo(48.0);
        assertThat(sink[0]).isPositive();
    }
}
