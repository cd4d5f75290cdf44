package dev.ondemandd.daemon.faults;

import dev.ondemandd.daemon.faults.FaultSpec.Fault;
import dev.ondemandd.daemon.faults.FaultSpec.Kind;
import dev.ondemandd.daemon.faults.FaultSpec.Layer;
import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Carries out a {@link FaultSpec}: wraps the serving fetchers in a forwarding fetcher whose blobs misbehave on
 * the chosen fetches, and runs kernel faults on the fetch thread of the READ they target (through a
 * {@link KernelActions} the reader side provides) before letting the fetch go on.
 */
public final class FaultInjector {

    private static final System.Logger LOG = System.getLogger(FaultInjector.class.getName());
    /** How long a {@code timeout} fetch blocks at most if no deadline interrupts it. */
    static final long STALL_MILLIS = 300_000;
    /** Bytes delivered per step of a {@code slow} fetch. */
    static final int TRICKLE_STEP = 4096;
    /** Pause after a kernel fault so the daemon handles it while the fetch is still running. */
    static final long SETTLE_MILLIS = 100;

    private final List<Fault> fetchFaults;
    private final List<Fault> kernelFaults;
    private final AtomicLong fetches = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicReference<Armed> armed = new AtomicReference<>();
    private final List<Fault> pendingKernel;
    private final List<String> fired = new CopyOnWriteArrayList<>();

    /** What the reader side does for a kernel fault, on the READ that armed it. */
    public interface KernelActions {
        void perform(Kind kind) throws IOException;
    }

    private record Armed(Fault fault, KernelActions actions) {
    }

    public FaultInjector(FaultSpec spec) {
        this.fetchFaults = spec.of(Layer.FETCH);
        this.kernelFaults = spec.of(Layer.KERNEL);
        this.pendingKernel = new ArrayList<>(kernelFaults.stream()
                .filter(f -> f.kind() != Kind.UNMATCHED_OPEN).toList());
    }

    /** Whether the spec asks for an OPEN of a key no source matches. */
    public boolean unmatchedOpen() {
        return kernelFaults.stream().anyMatch(f -> f.kind() == Kind.UNMATCHED_OPEN);
    }

    /** The faults that fired, in order, as {@code name@n}. */
    public List<String> fired() {
        return List.copyOf(fired);
    }

    void noteFired(String what) {
        fired.add(what);
        LOG.log(System.Logger.Level.INFO, "fault injected: " + what);
    }

    /**
     * Called by the reader side before each READ; arms the first pending kernel fault due at this READ.
     *
     * @return whether a fault was armed for this READ (disarm with {@link #disarm} when the READ is answered)
     */
    boolean beforeRead(KernelActions actions) {
        long n = reads.incrementAndGet();
        synchronized (pendingKernel) {
            for (Fault f : pendingKernel) {
                if (f.nth() <= n && armed.compareAndSet(null, new Armed(f, actions))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The READ that armed a fault was answered; if no fetch took the fault, it stays pending for the next. */
    void disarm(KernelActions actions) {
        Armed a = armed.get();
        if (a != null && a.actions() == actions) {
            armed.compareAndSet(a, null);
        }
    }

    /** Wraps a serving fetcher. */
    public Fetcher wrap(Fetcher inner) {
        return new FaultyFetcher(inner);
    }

    private final class FaultyFetcher implements Fetcher {
        private final Fetcher inner;

        FaultyFetcher(Fetcher inner) {
            this.inner = inner;
        }

        @Override
        public Set<String> schemes() {
            return inner.schemes();
        }

        @Override
        public Blob open(URI location) throws FetchException {
            return new FaultyBlob(inner.open(location), contentDigest(location));
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    /**
     * The digest a content-addressed location names ({@code .../sha256:<64 hex>}, as blobs are stored in OCI
     * layouts and by {@code SampleData}), so a digest-verifying layer can check whole-blob reads.
     */
    static Optional<String> contentDigest(URI location) {
        String path = location.getPath();
        if (path == null) {
            return Optional.empty();
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.startsWith("sha256:") && name.length() == 7 + 64) {
            try {
                HexFormat.of().parseHex(name, 7, name.length());
                return Optional.of(name);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private final class FaultyBlob implements Blob {
        private final Blob inner;
        private final Optional<String> digest;

        FaultyBlob(Blob inner, Optional<String> digest) {
            this.inner = inner;
            this.digest = inner.digest().or(() -> digest);
        }

        @Override
        public long size() {
            return inner.size();
        }

        @Override
        public Optional<String> digest() {
            return digest;
        }

        @Override
        public String describe() {
            return inner.describe();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            long n = fetches.incrementAndGet();
            Armed kernel = armed.getAndSet(null);
            if (kernel != null) {
                synchronized (pendingKernel) {
                    pendingKernel.remove(kernel.fault());
                }
                noteFired(kernel.fault() + " (on fetch " + n + " at " + offset + "+" + dst.remaining() + ")");
                kernel.actions().perform(kernel.fault().kind());
                pause(SETTLE_MILLIS);
            }
            Fault fault = fetchFaults.stream().filter(f -> f.nth() == n).findFirst().orElse(null);
            if (fault == null) {
                inner.read(offset, dst);
                return;
            }
            noteFired(fault + " (at " + offset + "+" + dst.remaining() + ")");
            switch (fault.kind()) {
                case ERROR -> throw new FetchException("injected fault " + fault, (int) fault.arg(), false);
                case TIMEOUT -> {
                    pause(STALL_MILLIS);
                    throw new FetchException("injected fault " + fault + " was not interrupted", FetchException.EIO,
                            false);
                }
                case SLOW -> trickle(offset, dst, fault.arg());
                case SHORT -> {
                    ByteBuffer whole = ByteBuffer.allocate(dst.remaining());
                    inner.read(offset, whole);
                    dst.put(whole.flip().limit(whole.limit() / 2));
                }
                case CORRUPT -> {
                    int start = dst.position();
                    inner.read(offset, dst);
                    if (dst.position() > start) {
                        dst.put(start, (byte) (dst.get(start) ^ 0x5a));
                    }
                }
                default -> throw new IllegalStateException("not a fetch fault: " + fault);
            }
        }

        private void trickle(long offset, ByteBuffer dst, long pauseMillis) throws IOException {
            long at = offset;
            int end = dst.limit();
            while (dst.position() < end) {
                pause(pauseMillis);
                int step = Math.min(TRICKLE_STEP, end - dst.position());
                dst.limit(dst.position() + step);
                inner.read(at, dst);
                at += step;
                dst.limit(end);
            }
        }
    }

    private static void pause(long millis) throws InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("injected fault interrupted (the READ's deadline passed)");
        }
    }
}
