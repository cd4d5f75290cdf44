package dev.ondemandd.daemon.replay;

import dev.ondemandd.daemon.core.NamedThreads;
import dev.ondemandd.daemon.core.ObjectKey;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.trace.Trace;
import dev.ondemandd.daemon.trace.TraceEvent;
import dev.ondemandd.fetchers.Blob;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Replays a trace through a {@link ReaderSide}: each object's requests in order on a thread of its own, so
 * objects run concurrently as they did when recorded; a re-open of a key waits for the close of its previous
 * object. Each OPEN's size is checked against the trace and the source, each READ's bytes against the source
 * (read independently through {@code verifier}) and the trace's sha256.
 */
public final class ReplayEngine {

    /** The largest single READ replay allocates a buffer for. */
    public static final int MAX_READ_LENGTH = 64 << 20;

    private final ReaderSide kernel;
    private final SourceResolver verifier;
    private final double speed;
    private final Consumer<String> observer;
    private final ThreadFactory threads = NamedThreads.virtual("replay");

    private final AtomicLong opens = new AtomicLong();
    private final AtomicLong reads = new AtomicLong();
    private final AtomicLong closes = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong mismatches = new AtomicLong();
    private final List<Long> readLatencies = new ArrayList<>();
    private final List<String> findings = new ArrayList<>();
    private long start;

    /**
     * @param speed 0 for as fast as possible, else the factor recorded time is divided by (1 = as recorded)
     * @param observer receives one line per request, for {@code demo}; may do nothing
     */
    public ReplayEngine(ReaderSide kernel, SourceResolver verifier, double speed, Consumer<String> observer) {
        if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be 0 (as fast as possible) or positive, not " + speed);
        }
        this.kernel = kernel;
        this.verifier = verifier;
        this.speed = speed;
        this.observer = observer;
    }

    /** One open-to-close lifetime of a trace object id. */
    private static final class Lifetime {
        final TraceEvent.Open open;
        final List<TraceEvent> events = new ArrayList<>();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> predecessor = CompletableFuture.completedFuture(null);

        Lifetime(TraceEvent.Open open) {
            this.open = open;
        }

        String key() {
            return open.volume() + "\0" + open.cookie();
        }
    }

    public ReplayReport run(Trace trace) throws InterruptedException {
        List<Lifetime> lifetimes = new ArrayList<>();
        Map<Long, Lifetime> current = new HashMap<>();
        Map<String, CompletableFuture<Void>> lastOfKey = new HashMap<>();
        for (TraceEvent event : trace.events()) {
            switch (event) {
                case TraceEvent.Open o -> {
                    Lifetime lifetime = new Lifetime(o);
                    CompletableFuture<Void> previous = lastOfKey.put(lifetime.key(), lifetime.done);
                    if (previous != null) {
                        lifetime.predecessor = previous;
                    }
                    current.put(o.object(), lifetime);
                    lifetimes.add(lifetime);
                }
                case TraceEvent.Read r -> current.get(r.object()).events.add(r);
                case TraceEvent.Close c -> current.remove(c.object()).events.add(c);
                case TraceEvent.Header h -> {
                }
            }
        }
        start = System.nanoTime();
        List<Thread> running = new ArrayList<>();
        for (Lifetime lifetime : lifetimes) {
            running.add(threads.newThread(() -> replay(lifetime)));
        }
        running.forEach(Thread::start);
        for (Thread thread : running) {
            thread.join();
        }
        long elapsed = System.nanoTime() - start;
        long[] latencies;
        synchronized (readLatencies) {
            latencies = readLatencies.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        synchronized (findings) {
            return new ReplayReport(opens.get(), reads.get(), closes.get(), bytes.get(), failures.get(),
                    mismatches.get(), elapsed, percentile(latencies, 50), percentile(latencies, 99), findings);
        }
    }

    static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private void replay(Lifetime lifetime) {
        try {
            lifetime.predecessor.join();
            TraceEvent.Open o = lifetime.open;
            pace(o.tNs());
            Opened opened = open(o);
            if (opened == null) {
                return;
            }
            try {
                for (TraceEvent event : lifetime.events) {
                    pace(event.tNs());
                    if (event instanceof TraceEvent.Read r) {
                        read(opened, r);
                    } else if (event instanceof TraceEvent.Close) {
                        close(opened, true);
                        opened = null;
                    }
                }
            } finally {
                if (opened != null) {
                    close(opened, false);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("object " + lifetime.open.object() + ": replay interrupted");
        } finally {
            lifetime.done.complete(null);
        }
    }

    private void pace(long tNs) throws InterruptedException {
        if (speed == 0) {
            return;
        }
        long due = start + (long) (tNs / speed);
        long wait = due - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
    }

    private record Opened(TraceEvent.Open trace, ReaderSide.ReaderObject object, Blob source) {
    }

    private Opened open(TraceEvent.Open o) {
        opens.incrementAndGet();
        long t0 = System.nanoTime();
        ReaderSide.ReaderObject object;
        try {
            object = kernel.open(o.volume(), o.cookie().getBytes(StandardCharsets.UTF_8));
        } catch (ReaderSide.OpenFailedException e) {
            fail("object " + o.object() + " (" + o.volume() + "/" + o.cookie() + "): open refused with errno "
                    + e.errno() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
            return null;
        } catch (IOException | RuntimeException e) {
            fail("object " + o.object() + " (" + o.volume() + "/" + o.cookie() + "): open failed: " + e);
            return null;
        }
        long latency = System.nanoTime() - t0;
        observer.accept(String.format(Locale.ROOT, "open  #%d %s/%s -> size %d (%.2f ms)", o.object(), o.volume(),
                o.cookie(), object.size(), latency / 1e6));
        if (object.size() != o.size()) {
            mismatch("object " + o.object() + ": open answered size " + object.size() + ", the trace says "
                    + o.size());
        }
        Blob source;
        try {
            source = verifier.resolve(ObjectKey.of(o.volume(), o.cookie()));
        } catch (IOException e) {
            fail("object " + o.object() + ": cannot open its source to check it: " + e.getMessage());
            closeQuietly(object);
            return null;
        }
        if (source.size() != object.size()) {
            mismatch("object " + o.object() + ": open answered size " + object.size() + ", the source has "
                    + source.size());
        }
        return new Opened(o, object, source);
    }

    private void read(Opened opened, TraceEvent.Read r) {
        reads.incrementAndGet();
        String what = "object " + r.object() + " read " + r.off() + "+" + r.len();
        if (r.len() > MAX_READ_LENGTH) {
            fail(what + ": longer than replay's limit of " + MAX_READ_LENGTH + " bytes");
            return;
        }
        ByteBuffer got = ByteBuffer.allocate((int) r.len());
        long t0 = System.nanoTime();
        try {
            opened.object().read(r.off(), got);
        } catch (IOException | RuntimeException e) {
            fail(what + ": " + e.getMessage());
            observer.accept("read  #" + r.object() + " " + r.off() + "+" + r.len() + " FAILED: " + e.getMessage());
            return;
        }
        long latency = System.nanoTime() - t0;
        synchronized (readLatencies) {
            readLatencies.add(latency);
        }
        bytes.addAndGet(r.len());
        ByteBuffer expected = ByteBuffer.allocate((int) r.len());
        try {
            opened.source().read(r.off(), expected);
        } catch (IOException | RuntimeException e) {
            fail(what + ": cannot read the source to check it: " + e.getMessage());
            return;
        }
        boolean ok = true;
        int differs = Arrays.mismatch(got.array(), expected.array());
        if (differs >= 0) {
            ok = false;
            mismatch(what + ": byte " + (r.off() + differs) + " is " + (got.array()[differs] & 0xff)
                    + ", the source has " + (expected.array()[differs] & 0xff));
        }
        if (r.sha256() != null) {
            String digest = sha256(got.array());
            if (!digest.equals(r.sha256())) {
                ok = false;
                mismatch(what + ": sha256 " + digest + " differs from the trace's " + r.sha256());
            }
        }
        observer.accept(String.format(Locale.ROOT, "read  #%d %d+%d %s (%.2f ms)", r.object(), r.off(), r.len(),
                ok ? (r.sha256() != null ? "ok, sha256 verified" : "ok") : "MISMATCH", latency / 1e6));
    }

    private void close(Opened opened, boolean inTrace) {
        if (inTrace) {
            closes.incrementAndGet();
        }
        try {
            opened.object().close();
            if (inTrace) {
                observer.accept("close #" + opened.trace().object());
            }
        } catch (IOException | RuntimeException e) {
            fail("object " + opened.trace().object() + ": close failed: " + e.getMessage());
        }
        try {
            opened.source().close();
        } catch (IOException e) {
            // Only the checking copy; nothing the replay depends on.
        }
    }

    private static void closeQuietly(ReaderSide.ReaderObject object) {
        try {
            object.close();
        } catch (IOException | RuntimeException e) {
            // Already failing this object.
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private void fail(String finding) {
        failures.incrementAndGet();
        note(finding);
    }

    private void mismatch(String finding) {
        mismatches.incrementAndGet();
        note(finding);
    }

    private void note(String finding) {
        synchronized (findings) {
            if (findings.size() < ReplayReport.MAX_FINDINGS) {
                findings.add(finding);
            }
        }
    }
}
