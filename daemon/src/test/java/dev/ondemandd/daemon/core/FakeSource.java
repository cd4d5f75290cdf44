package dev.ondemandd.daemon.core;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@code fake:} fetcher serving in-memory blobs, whose reads can be held at a gate to stage races. */
final class FakeSource implements Fetcher {

    final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    /** Every fetch, in the order it started: "cookie@offset". */
    final List<String> fetches = new CopyOnWriteArrayList<>();
    /** When set, each fetch waits for a permit, ignoring interrupts when {@link #stubborn} is set. */
    volatile Semaphore gate;
    volatile boolean stubborn;
    /** What its blobs say of {@link Blob#inMemory()}. */
    volatile boolean inMemory;
    final AtomicBoolean blobClosed = new AtomicBoolean();

    static SourceResolver resolver(FakeSource source) {
        return new SourceResolver(List.of(SourceRule.of("*", "*", "fake:///{cookie}")), FetcherRegistry.of(source));
    }

    FakeSource put(String cookie, byte[] content) {
        blobs.put(cookie, content);
        return this;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("fake");
    }

    @Override
    public Blob open(URI location) throws FetchException {
        String name = location.getPath().substring(1);
        byte[] content = blobs.get(name);
        if (content == null) {
            throw new FetchException("no fake blob " + name, FetchException.ENOENT, false);
        }
        return new Blob() {
            @Override
            public long size() {
                return content.length;
            }

            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                fetches.add(name + "@" + offset);
                Semaphore g = gate;
                if (g != null) {
                    if (stubborn) {
                        g.acquireUninterruptibly();
                    } else {
                        try {
                            g.acquire();
                        } catch (InterruptedException e) {
                            throw new FetchException("interrupted", FetchException.EIO, true, e);
                        }
                    }
                }
                dst.put(content, (int) offset, dst.remaining());
            }

            @Override
            public boolean inMemory() {
                return inMemory;
            }

            @Override
            public String describe() {
                return "fake:" + name;
            }

            @Override
            public void close() {
                blobClosed.set(true);
            }
        };
    }
}
