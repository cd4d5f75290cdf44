package dev.ondemandd.daemon.faults;

import dev.ondemandd.daemon.faults.FaultSpec.Kind;
import dev.ondemandd.daemon.replay.ReaderSide;
import dev.ondemandd.daemon.replay.SimulatedReaderSide;
import dev.ondemandd.protocol.cachefiles.sim.OpenResult;
import dev.ondemandd.protocol.cachefiles.sim.ReadResult;
import dev.ondemandd.protocol.cachefiles.sim.SimObject;
import dev.ondemandd.protocol.cachefiles.sim.SimulatedCachefilesKernel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulated kernel's filesystem side with kernel faults: each READ may arm one (see {@link FaultInjector});
 * the fault then acts on this READ's object while the daemon fetches for it. After a {@code close-mid-fetch} the
 * object is looked up again, as a filesystem that mounts again would, so the trace's later READs go on.
 */
final class FaultyReaderSide implements ReaderSide {

    /** The cookie of the object an {@code unknown-object-read} reads: one whose OPEN the daemon never saw. */
    static final byte[] ORPHAN_COOKIE = "ondemandd-faults/orphan".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    private static final long ORPHAN_SIZE = 4096;

    private final SimulatedCachefilesKernel kernel;
    private final Duration wait;
    private final FaultInjector injector;
    private final AtomicLong slowestReadNanos = new AtomicLong();
    private final java.util.List<java.util.concurrent.CompletableFuture<ReadResult>> orphanReads =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    FaultyReaderSide(SimulatedCachefilesKernel kernel, Duration wait, FaultInjector injector) {
        this.kernel = kernel;
        this.wait = wait;
        this.injector = injector;
    }

    /** The longest any READ took to be answered (data or error). */
    long slowestReadNanos() {
        return slowestReadNanos.get();
    }

    /**
     * What each read of an orphaned object (see {@code unknown-object-read}) got, waiting for each up to the
     * reader's wait: an answer of any kind (EIO is expected: nothing was fetched) or {@link ReadResult.Hung}.
     */
    java.util.List<ReadResult> orphanReadResults() throws InterruptedException {
        java.util.List<ReadResult> results = new java.util.ArrayList<>();
        for (var f : orphanReads) {
            try {
                results.add(f.get(wait.toMillis() + 1000, java.util.concurrent.TimeUnit.MILLISECONDS));
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                results.add(new ReadResult.Hung(wait));
            }
        }
        return results;
    }

    @Override
    public ReaderObject open(String volume, byte[] cookie) throws IOException {
        return new Opened(volume, cookie, lookUp(volume, cookie));
    }

    private OpenResult.Opened lookUp(String volume, byte[] cookie) throws IOException {
        return switch (kernel.open(volume, cookie, wait)) {
            case OpenResult.Opened opened -> opened;
            case OpenResult.Failed failed -> throw new OpenFailedException(failed.errno(), null);
            case OpenResult.Hung hung -> throw new IOException("no copen within " + hung.waited()
                    + ": the mount would hang");
        };
    }

    private final class Opened implements ReaderObject, FaultInjector.KernelActions {
        private final String volume;
        private final byte[] cookie;
        private final long size;
        private volatile SimObject object;
        private volatile long readOffset;
        private volatile long readLength;
        private volatile boolean droppedByFault;

        Opened(String volume, byte[] cookie, OpenResult.Opened opened) {
            this.volume = volume;
            this.cookie = cookie.clone();
            this.object = opened.object();
            this.size = opened.size();
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            readOffset = offset;
            readLength = dst.remaining();
            boolean armed = injector.beforeRead(this);
            long t0 = System.nanoTime();
            ReadResult result;
            try {
                result = kernel.read(object, offset, dst.remaining(), wait);
            } finally {
                if (armed) {
                    injector.disarm(this);
                }
                slowestReadNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
                if (droppedByFault) {
                    droppedByFault = false;
                    object = lookUp(volume, cookie).object();
                }
            }
            SimulatedReaderSide.deliver(result, dst);
        }

        @Override
        public void perform(Kind kind) throws IOException {
            SimObject target = object;
            switch (kind) {
                case CLOSE_MID_FETCH -> {
                    droppedByFault = true;
                    kernel.close(target);
                }
                case DUPLICATE_READ -> kernel.injectRead(target, readOffset, readLength);
                case RESTORE_MID_FETCH -> kernel.command("restore");
                case UNKNOWN_OBJECT_READ -> {
                    SimObject orphan = kernel.injectOrphan(volume, ORPHAN_COOKIE, ORPHAN_SIZE);
                    var result = new java.util.concurrent.CompletableFuture<ReadResult>();
                    orphanReads.add(result);
                    Thread.ofVirtual().name("fault-orphan-reader").start(() -> {
                        try {
                            result.complete(kernel.read(orphan, 0, ORPHAN_SIZE, wait));
                        } catch (IOException | RuntimeException e) {
                            result.completeExceptionally(e);
                        }
                    });
                }
                default -> throw new IllegalStateException("not a kernel fault during a fetch: " + kind);
            }
        }

        @Override
        public void close() {
            kernel.close(object);
        }
    }
}
