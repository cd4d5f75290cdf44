package dev.ondemandd.benchmarks;

import dev.ondemandd.protocol.nativeio.PageAlignedBuffers;
import dev.ondemandd.protocol.nativeio.Posix;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The write half of a fill: take a page-aligned direct buffer from a pool, pwrite it into the cache file (through
 * the JNA binding the frontends use), give it back. The file is a temp file under {@code java.io.tmpdir} (point it
 * at the cache's filesystem); it stays in the page cache, so this is the syscall and copy cost, not the disk's.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class WritePathBenchmark {

    /** Bytes the writes cycle through: large enough to stay out of one CPU cache, small enough for RAM. */
    private static final long FILE_SIZE = 64L << 20;

    @Param({"4096", "131072", "1048576"})
    public int size;

    private PageAlignedBuffers.Pool pool;
    private Path file;
    private int fd = -1;
    private long offset;

    @Setup(Level.Trial)
    public void open() throws Exception {
        pool = new PageAlignedBuffers.Pool(size, 4);
        file = Files.createTempFile("ondemandd-write-bench", ".cache");
        fd = Posix.open(file.toString(), Posix.O_RDWR);
        Posix.ftruncate(fd, FILE_SIZE);
        ByteBuffer b = pool.acquire();
        for (int i = 0; i < b.capacity(); i++) {
            b.put(i, (byte) i);
        }
        pool.release(b);
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        if (fd >= 0) {
            Posix.close(fd);
        }
        Files.deleteIfExists(file);
    }

    @Benchmark
    public long pwrite() throws Exception {
        ByteBuffer b = pool.acquire();
        try {
            b.limit(size);
            Posix.pwriteFully(fd, b, offset);
        } finally {
            pool.release(b);
        }
        offset = (offset + size) % FILE_SIZE;
        return offset;
    }
}
