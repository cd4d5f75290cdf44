package dev.ondemandd.daemon.frontend.cachefiles;

import dev.ondemandd.protocol.cachefiles.CachefilesCodec;
import dev.ondemandd.protocol.cachefiles.CachefilesDevice;
import dev.ondemandd.protocol.cachefiles.CachefilesMessage;
import dev.ondemandd.protocol.cachefiles.ObjectFd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted device for frontend unit tests: queued raw messages come out of read(), commands and fd
 * operations are recorded. (The simulated kernel in the protocol module is the faithful one.)
 */
final class FakeDevice implements CachefilesDevice {

    final BlockingDeque<byte[]> pending = new LinkedBlockingDeque<>();
    final BlockingQueue<String> commands = new LinkedBlockingQueue<>();
    final Map<Integer, FakeFd> fds = new ConcurrentHashMap<>();
    /** Commands ("command restore") and reads that returned a message ("read"), in the order they happened. */
    final List<String> events = new CopyOnWriteArrayList<>();

    void send(CachefilesMessage message) {
        ByteBuffer b = ByteBuffer.allocate(MSG_MAX_SIZE);
        int n = CachefilesCodec.encode(message, b);
        byte[] bytes = new byte[n];
        b.flip().get(bytes);
        pending.add(bytes);
    }

    void sendRaw(byte[] bytes) {
        pending.add(bytes);
    }

    String nextCommand() throws InterruptedException {
        return commands.poll(10, TimeUnit.SECONDS);
    }

    @Override
    public void command(String command) {
        events.add("command " + command);
        commands.add(command);
    }

    @Override
    public int read(ByteBuffer dst) {
        byte[] next = pending.poll();
        if (next == null) {
            return 0;
        }
        events.add("read");
        dst.put(next);
        return next.length;
    }

    @Override
    public boolean awaitRequest(int timeoutMillis) throws IOException {
        try {
            byte[] head = pending.poll(timeoutMillis, TimeUnit.MILLISECONDS);
            if (head == null) {
                return false;
            }
            // Put it back in front (awaitRequest only looks); messages sent meanwhile went to the tail, so the
            // order the test sent them in stays the order they are read in.
            pending.addFirst(head);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    @Override
    public ObjectFd adopt(int fd) {
        return fds.computeIfAbsent(fd, FakeFd::new);
    }

    @Override
    public void close() {
    }

    static final class FakeFd implements ObjectFd {
        final int fd;
        final ConcurrentHashMap<Long, byte[]> writes = new ConcurrentHashMap<>();
        final List<Integer> completed = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        FakeFd(int fd) {
            this.fd = fd;
        }

        @Override
        public int fd() {
            return fd;
        }

        @Override
        public void write(ByteBuffer src, long offset) throws IOException {
            if (closed) {
                throw new IOException("EBADF");
            }
            byte[] bytes = new byte[src.remaining()];
            src.get(bytes);
            writes.put(offset, bytes);
        }

        @Override
        public void readComplete(int msgId) throws IOException {
            if (closed) {
                throw new IOException("EBADF");
            }
            completed.add(msgId);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
