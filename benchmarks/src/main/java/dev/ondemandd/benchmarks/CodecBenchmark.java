package dev.ondemandd.benchmarks;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.MalformedMessageException;
import dev.ondemandd.protocol.cachefiles.OpenMessage;
import dev.ondemandd.protocol.cachefiles.ReadMessage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding one /dev/cachefiles message as the frontend's read loop does: from a reused direct buffer holding
 * exactly what one read() returned. READ is the hot path (one per hole); OPEN carries the keys.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class CodecBenchmark {

    private final ByteBuffer open = ByteBuffer.allocateDirect(CachefilesDevice.MSG_MAX_SIZE);
    private final ByteBuffer read = ByteBuffer.allocateDirect(CachefilesDevice.MSG_MAX_SIZE);

    @Setup
    public void encode() {
        byte[] cookie = "sha256-0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);
        CachefilesCodec.encode(new OpenMessage(7, 3, "erofs,image-domain", cookie, 42, 0), open);
        open.flip();
        CachefilesCodec.encode(new ReadMessage(8, 3, 1L << 30, 131072), read);
        read.flip();
    }

    @Benchmark
    public CachefilesMessage decodeRead() throws MalformedMessageException {
        read.position(0);
        return CachefilesCodec.decode(read);
    }

    @Benchmark
    public CachefilesMessage decodeOpen() throws MalformedMessageException {
        open.position(0);
        return CachefilesCodec.decode(open);
    }
}
