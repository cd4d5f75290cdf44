package dev.ondemandd.daemon.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** A cache file in memory that records misuse: a write after close, a second close, an unaligned write. */
final class FakeTarget implements CacheTarget {

    final byte[] data;
    final AtomicInteger writing = new AtomicInteger();
    final AtomicInteger closes = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);
    final List<String> violations = new CopyOnWriteArrayList<>();
    final List<Long> writeOffsets = new CopyOnWriteArrayList<>();

    FakeTarget(long size) {
        data = new byte[(int) size];
    }

    @Override
    public void write(ByteBuffer src, long offset) throws IOException {
        writing.incrementAndGet();
        try {
            if (closes.get() > 0) {
                violations.add("write after close at " + offset);
            }
            if (!src.isDirect() || offset % CoreSettings.PAGE_SIZE != 0
                    || src.capacity() % CoreSettings.PAGE_SIZE != 0) {
                violations.add("unaligned write at " + offset);
            }
            writeOffsets.add(offset);
            int n = src.remaining();
            if (offset + n > data.length) {
                violations.add("write past the end at " + offset + "+" + n);
            }
            src.get(data, (int) offset, n);
        } finally {
            writing.decrementAndGet();
        }
    }

    @Override
    public void close() {
        if (writing.get() > 0) {
            violations.add("closed while a write was in flight");
        }
        if (closes.incrementAndGet() > 1) {
            violations.add("closed twice");
        }
        closed.countDown();
    }

    boolean isClosed() {
        return closes.get() > 0;
    }

    void assertClean() {
        assertThat(violations).isEmpty();
    }
}
