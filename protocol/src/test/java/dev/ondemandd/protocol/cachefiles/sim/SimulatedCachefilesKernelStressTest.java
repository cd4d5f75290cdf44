package dev.ondemandd.protocol.cachefiles.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesCommands;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.CloseMessage;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many readers against one daemon thread, as the real thing runs: every read returns the right bytes, nothing
 * hangs, no fd leaks, no misaligned write. The daemon here is the smallest correct one and doubles as an example
 * of driving the device.
 */
class SimulatedCachefilesKernelStressTest {

    static final int PAGE = PageAlignedBuffers.pageSize();
    static final int READERS = 4;
    static final int READS_PER_READER = 400;
    static final long OBJECT_SIZE = 256L * PAGE + 1234; // an unaligned end, so the last page is padded

    @TempDir
    Path dir;

    /** The image's byte at {@code offset} of {@code cookie}: what every read must return. */
    static byte expected(int cookie, long offset) {
        return (byte) (offset * 7 + offset / 4096 + cookie * 13);
    }

    @Test
    void concurrentReadersAreAllServedCorrectly() throws Exception {
        SimulatedCachefilesKernel kernel = new SimulatedCachefilesKernel();
        kernel.command(CachefilesCommands.dir(dir.toString()));
        kernel.command(CachefilesCommands.BIND_ONDEMAND);
        AtomicReference<Throwable> daemonError = new AtomicReference<>();
        Thread daemon = new Thread(() -> serve(kernel, daemonError), "sim-daemon");
        daemon.start();

        List<Thread> readers = new ArrayList<>();
        AtomicReference<Throwable> readerError = new AtomicReference<>();
        long start = System.nanoTime();
        for (int r = 0; r < READERS; r++) {
            int cookie = r % 2; // two readers per object: overlapping READs for the same ranges
            long seed = 1000 + r;
            Thread t = new Thread(() -> {
                try {
                    read(kernel, cookie, seed);
                } catch (Throwable e) {
                    readerError.compareAndSet(null, e);
                }
            }, "sim-reader-" + r);
            readers.add(t);
            t.start();
        }
        for (Thread t : readers) {
            t.join(60_000);
        }
        long elapsed = System.nanoTime() - start;
        // Let the daemon see the CLOSEs and close its fds.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (kernel.stats().fdsOpen() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        kernel.close();
        daemon.join(5_000);
        kernel.shutdown();

        assertThat(readerError.get()).isNull();
        assertThat(daemonError.get()).isNull();
        SimStats s = kernel.stats();
        System.out.printf("sim stress: %d reads by %d readers in %.1f ms (%.0f reads/s), %d READs sent, %d cache hits%n",
                READERS * READS_PER_READER, READERS, elapsed / 1e6, READERS * READS_PER_READER / (elapsed / 1e9),
                s.readsSent(), s.cacheHits());
        assertThat(s.readsEio()).isZero();
        assertThat(s.readsHung()).isZero();
        assertThat(s.readsOk() + s.cacheHits()).isEqualTo((long) READERS * READS_PER_READER);
        assertThat(s.fdsOpen()).isZero();
        assertThat(s.misalignedWrites() + s.unalignedDirectIo() + s.writesPastObjectSize()).isZero();
        assertThat(s.closesSent()).isEqualTo(READERS);
    }

    private static void read(SimulatedCachefilesKernel kernel, int cookie, long seed) throws Exception {
        byte[] key = ("blob-" + cookie).getBytes(StandardCharsets.US_ASCII);
        OpenResult open = kernel.open("erofs,stress", key, Duration.ofSeconds(10));
        assertThat(open).isInstanceOf(OpenResult.Opened.class);
        SimObject object = ((OpenResult.Opened) open).object();
        Random rnd = new Random(seed);
        for (int i = 0; i < READS_PER_READER; i++) {
            long off = (long) (rnd.nextDouble() * OBJECT_SIZE);
            long len = 1 + rnd.nextInt(3 * PAGE);
            ReadResult result = kernel.read(object, off, len, Duration.ofSeconds(10));
            assertThat(result).isInstanceOf(ReadResult.Data.class);
            byte[] bytes = ((ReadResult.Data) result).bytes();
            assertThat(bytes.length).isEqualTo((int) Math.min(len, OBJECT_SIZE - off));
            for (int k = 0; k < bytes.length; k++) {
                if (bytes[k] != expected(cookie, off + k)) {
                    throw new AssertionError("wrong byte at " + (off + k) + " of blob-" + cookie);
                }
            }
        }
        kernel.close(object);
    }

    /** A minimal daemon: copen with the size, fill READs with whole padded pages, close fds on CLOSE. */
    private static void serve(SimulatedCachefilesKernel kernel, AtomicReference<Throwable> error) {
        ByteBuffer msg = ByteBuffer.allocateDirect(1024);
        ByteBuffer data = PageAlignedBuffers.allocate(8 * PAGE);
        Map<Integer, ObjectFd> fds = new HashMap<>();
        Map<Integer, Integer> cookies = new HashMap<>();
        try {
            while (true) {
                if (!kernel.awaitRequest(100)) {
                    continue;
                }
                msg.clear();
                if (kernel.read(msg) == 0) {
                    continue;
                }
                CachefilesMessage m = CachefilesCodec.decode(msg.flip());
                switch (m) {
                    case OpenMessage o -> {
                        fds.put(o.objectId(), kernel.adopt(o.fd()));
                        cookies.put(o.objectId(), new String(o.cookieKey(), StandardCharsets.US_ASCII).charAt(5) - '0');
                        kernel.command(CachefilesCommands.copenSize(o.msgId(), OBJECT_SIZE));
                    }
                    case ReadMessage r -> {
                        ObjectFd fd = fds.get(r.objectId());
                        int cookie = cookies.get(r.objectId());
                        long start = r.offset() / PAGE * PAGE;
                        long end = Math.min(PageAlignedBuffers.roundUp(r.offset() + r.length()),
                                PageAlignedBuffers.roundUp(OBJECT_SIZE));
                        for (long at = start; at < end; at += data.capacity()) {
                            int n = (int) Math.min(data.capacity(), end - at);
                            data.clear().limit(n);
                            for (int k = 0; k < n; k++) {
                                data.put(k, at + k < OBJECT_SIZE ? expected(cookie, at + k) : 0);
                            }
                            fd.write(data, at);
                        }
                        fd.readComplete(r.msgId());
                    }
                    case CloseMessage c -> {
                        ObjectFd fd = fds.remove(c.objectId());
                        if (fd != null) {
                            fd.close();
                        }
                    }
                }
            }
        } catch (dev.ondemandd.protocol.nativeio.ErrnoException e) {
            if (e.errno() != dev.ondemandd.protocol.nativeio.Errno.EBADF) { // EBADF: the device was closed, done
                error.set(e);
            }
        } catch (Throwable e) {
            error.set(e);
        }
    }
}
