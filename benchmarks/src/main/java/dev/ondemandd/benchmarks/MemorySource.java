package dev.ondemandd.benchmarks;

import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * An in-memory source for benchmarks: {@code mem:///<size>} opens a blob of that many bytes whose byte at
 * offset {@code o} is {@link #byteAt(long)}; {@code mem:///<size>?delayMicros=<n>} makes every read take at
 * least that long (a source with latency: fetch slots, not the CPU, are then what runs out). The bytes repeat with a period that is not a page multiple, so a
 * page written at the wrong offset reads back different. Reads copy from one shared direct buffer: what is
 * measured is the daemon, not the source.
 */
public final class MemorySource implements Fetcher {

    /** Bytes before the pattern repeats: 1 MiB + 8, deliberately not a multiple of the page size. */
    public static final int PERIOD = (1 << 20) + 8;
    private static final ByteBuffer PATTERN = pattern();

    private static ByteBuffer pattern() {
        ByteBuffer b = ByteBuffer.allocateDirect(PERIOD);
        for (int i = 0; i < PERIOD; i++) {
            b.put(i, byteAt(i));
        }
        return b.asReadOnlyBuffer();
    }

    /** One period and a spare megabyte on the heap, so any range up to 1 MiB is compared in one vectorised call. */
    private static final byte[] EXPECTED = expected();

    private static byte[] expected() {
        byte[] b = new byte[PERIOD + (1 << 20)];
        for (int i = 0; i < b.length; i++) {
            b[i] = byteAt(i);
        }
        return b;
    }

    /** Whether {@code bytes} are what every {@code mem:} blob holds at {@code offset} (up to 1 MiB of them). */
    public static boolean matches(byte[] bytes, long offset) {
        int from = (int) (offset % PERIOD);
        return bytes.length <= 1 << 20
                && Arrays.mismatch(bytes, 0, bytes.length, EXPECTED, from, from + bytes.length) < 0;
    }

    /** The byte every {@code mem:} blob holds at {@code offset}. */
    public static byte byteAt(long offset) {
        long i = offset % PERIOD;
        return (byte) ((i * 31) ^ (i >>> 8));
    }

    /** A resolver that serves every key from {@code mem:///<size>}. */
    public static SourceResolver resolver(long size) {
        return resolver(size, 0);
    }

    /** A resolver that serves every key from {@code mem:///<size>?delayMicros=<delayMicros>}. */
    public static SourceResolver resolver(long size, long delayMicros) {
        return SourceResolver.of(List.of(new SourceResolver.Route(SourceRule.of("*", "*", "mem:///" + size
                + "?delayMicros=" + delayMicros), new MemorySource())));
    }

    @Override
    public Set<String> schemes() {
        return Set.of("mem");
    }

    @Override
    public Blob open(URI location) throws FetchException {
        long size;
        long delayNanos = 0;
        try {
            size = Long.parseLong(location.getPath().substring(1));
            String query = location.getQuery();
            if (query != null && query.startsWith("delayMicros=")) {
                delayNanos = Long.parseLong(query.substring("delayMicros=".length())) * 1000;
            }
        } catch (RuntimeException e) {
            throw new FetchException("mem: URL wants a size (and maybe ?delayMicros=N): " + location,
                    FetchException.ENOENT, false);
        }
        return new MemoryBlob(size, delayNanos);
    }

    private record MemoryBlob(long size, long delayNanos) implements Blob {
        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            if (delayNanos > 0) {
                try {
                    Thread.sleep(Duration.ofNanos(delayNanos));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("read interrupted");
                }
            }
            long at = offset;
            while (dst.hasRemaining()) {
                int from = (int) (at % PERIOD);
                int n = Math.min(dst.remaining(), PERIOD - from);
                dst.put(dst.position(), PATTERN, from, n);
                dst.position(dst.position() + n);
                at += n;
            }
        }

        @Override
        public boolean inMemory() {
            return delayNanos == 0;
        }

        @Override
        public String describe() {
            return "mem:" + size;
        }
    }
}
