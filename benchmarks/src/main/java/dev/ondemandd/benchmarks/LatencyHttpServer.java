package dev.ondemandd.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * P2's source: serves one file over HTTP/1.1 on loopback, answering HEAD and single-range GETs (206 with
 * Content-Range), each after an added delay — the round trip of a distant server. Requests are served
 * concurrently (one virtual thread each), so the delay is latency, not a queue.
 *
 * <pre>java -cp benchmarks.jar dev.ondemandd.benchmarks.LatencyHttpServer FILE [DELAY_MS] [PORT]</pre>
 *
 * Prints {@code listening on http://127.0.0.1:PORT/NAME} on stdout once it accepts connections, and the number
 * of requests served on stderr when stopped.
 */
public final class LatencyHttpServer {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");
    private static final int COPY_CHUNK = 1 << 20;

    private LatencyHttpServer() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: LatencyHttpServer FILE [DELAY_MS] [PORT]");
            System.exit(2);
        }
        Path file = Path.of(args[0]).toAbsolutePath();
        long delayMillis = args.length > 1 ? Long.parseLong(args[1]) : 10;
        int port = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        long size = channel.size();
        String name = "/" + file.getFileName();
        java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("http-", 0).factory()));
        server.createContext(name, exchange -> {
            try (exchange) {
                served.incrementAndGet();
                Thread.sleep(delayMillis);
                serve(exchange, channel, size);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            System.err.println("served " + served.get() + " requests");
        }, "http-stop"));
        System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort() + name);
        System.out.flush();
    }

    private static void serve(HttpExchange exchange, FileChannel channel, long size) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Accept-Ranges", "bytes");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        if (!head && !exchange.getRequestMethod().equals("GET")) {
            exchange.sendResponseHeaders(405, -1);
            return;
        }
        String range = exchange.getRequestHeaders().getFirst("Range");
        long start = 0;
        long end = size; // exclusive
        int status = 200;
        if (range != null) {
            Matcher m = RANGE.matcher(range);
            if (!m.matches() || Long.parseLong(m.group(1)) >= size) {
                headers.set("Content-Range", "bytes */" + size);
                exchange.sendResponseHeaders(416, -1);
                return;
            }
            start = Long.parseLong(m.group(1));
            end = m.group(2).isEmpty() ? size : Math.min(size, Long.parseLong(m.group(2)) + 1);
            status = 206;
            headers.set("Content-Range", "bytes " + start + "-" + (end - 1) + "/" + size);
        }
        if (head) {
            headers.set("Content-Length", Long.toString(end - start));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, end - start);
        OutputStream out = exchange.getResponseBody();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(COPY_CHUNK, Math.max(1, end - start)));
        for (long at = start; at < end; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), end - at));
            int n = channel.read(buf, at);
            if (n <= 0) {
                throw new IOException("short read of the served file at " + at);
            }
            out.write(buf.array(), 0, n);
            at += n;
        }
    }
}
