package dev.ondemandd.benchmarks;

import dev.ondemandd.daemon.core.Core;
import dev.ondemandd.daemon.core.CoreListener;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.FetchPolicy;
import dev.ondemandd.daemon.core.ObjectHandle;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.OpenReply;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A 4 KiB READ from submission to answer through the real {@link Core} (deadline armed, fair dispatch, fetch on
 * a virtual thread with a pooled buffer, write), from an in-memory blob to a target that drops the bytes: the
 * core's own cost per READ. {@code one} is the latency of a lone READ; {@code burst} submits
 * {@value #BURST} at once (more than the concurrency, so the queue and the ring are exercised) and waits for
 * all, giving the throughput per READ.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class DispatcherBenchmark {

    static final int BURST = 64;
    private static final int READ = 4096;
    /** Offsets cycle through this many pages. */
    private static final int PAGES = 1 << 14;

    private Core core;
    private ObjectHandle handle;
    private final Completions replies = new Completions();
    private long page;

    @Setup(Level.Trial)
    public void open() throws Exception {
        core = new Core(CoreSettings.defaults().withFetch(FetchPolicy.exact()), MemorySource.resolver((long) PAGES * READ),
                CoreListener.none());
        CompletableFuture<ObjectHandle> opened = new CompletableFuture<>();
        core.open(ObjectKey.of("bench", "object"), new NoopTarget(), new OpenReply() {
            @Override
            public void opened(ObjectHandle h) {
                opened.complete(h);
            }

            @Override
            public void failed(int errno) {
                opened.completeExceptionally(new IllegalStateException("OPEN failed with errno " + errno));
            }
        });
        handle = opened.get(10, TimeUnit.SECONDS);
    }

    @TearDown(Level.Trial)
    public void close() {
        handle.close();
        core.close();
    }

    private long nextOffset() {
        page = (page + 1) & (PAGES - 1);
        return page * READ;
    }

    @Benchmark
    public void one() {
        replies.expect(1);
        handle.read(nextOffset(), READ, replies);
        replies.await();
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public void burst() {
        replies.expect(BURST);
        for (int i = 0; i < BURST; i++) {
            handle.read(nextOffset(), READ, replies);
        }
        replies.await();
    }
}
