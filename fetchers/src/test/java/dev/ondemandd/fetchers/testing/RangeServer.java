package dev.ondemandd.fetchers.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real HTTP/1.1 server (the JDK's) on 127.0.0.1 serving byte arrays by path with Range support, and faults
 * injected per request: the next requests take their behaviour from a queue, later ones are served right.
 */
public final class RangeServer implements AutoCloseable {

    /** How the server misbehaves on one request. */
    public enum Fault {
        /** Serve correctly. */
        NONE,
        /** 503 Service Unavailable. */
        UNAVAILABLE,
        /** 429 Too Many Requests. */
        TOO_MANY,
        /** Sleep before answering, longer than any test timeout. */
        STALL,
        /** Announce the full length, send half, close. */
        SHORT_BODY,
        /** A 206 whose (chunked) body goes on past the range. */
        LONG_BODY,
        /** A 206 whose Content-Range is shifted by one byte. */
        WRONG_RANGE,
        /** A 200 with the whole object, as a server that ignores Range. */
        IGNORE_RANGE,
    }

    /** One request as the server saw it. */
    public record Seen(String method, String path, String range, String authorization) {
    }

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d+)");
    private static final long STALL_MILLIS = 10_000;

    private final HttpServer server;
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    private final Map<String, URI> redirects = new ConcurrentHashMap<>();
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile boolean alwaysIgnoreRanges;
    private volatile boolean headAllowed = true;
    private volatile long latencyMillis;
    private volatile java.util.concurrent.Semaphore gate;
    private volatile int retryAfterSeconds;
    private volatile java.nio.file.Path root;

    public RangeServer() throws IOException {
        this(null);
    }

    /** An HTTPS server presenting {@code tls}'s certificate, or plain HTTP when null. */
    public RangeServer(javax.net.ssl.SSLContext tls) throws IOException {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        if (tls == null) {
            server = HttpServer.create(any, 0);
        } else {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(any, 0);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
            server = https;
        }
        server.setExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("range-server-", 0).factory()));
        server.createContext("/", this::handle);
        server.start();
    }

    public URI uri(String path) {
        String scheme = server instanceof com.sun.net.httpserver.HttpsServer ? "https" : "http";
        return URI.create(scheme + "://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    public RangeServer put(String path, byte[] content) {
        objects.put(path, content);
        return this;
    }

    /** Answers requests for {@code path} with a 307 to {@code target}. */
    public RangeServer redirect(String path, URI target) {
        redirects.put(path, target);
        return this;
    }

    /** Serves files under {@code dir} for paths with no object put (as object storage behind a registry). */
    public RangeServer root(java.nio.file.Path dir) {
        root = dir;
        return this;
    }

    public RangeServer fault(Fault... next) {
        faults.addAll(List.of(next));
        return this;
    }

    public RangeServer ignoreRanges(boolean value) {
        alwaysIgnoreRanges = value;
        return this;
    }

    public RangeServer allowHead(boolean value) {
        headAllowed = value;
        return this;
    }

    /** The Retry-After a 429 carries (0 by default). */
    public RangeServer retryAfter(int seconds) {
        retryAfterSeconds = seconds;
        return this;
    }

    public RangeServer latency(long millis) {
        latencyMillis = millis;
        return this;
    }

    /** Holds every request from now on until {@code permits} hands it a permit (null: none held). */
    public RangeServer gate(java.util.concurrent.Semaphore permits) {
        gate = permits;
        return this;
    }

    /** Requests being served right now. */
    public int inFlight() {
        return inFlight.get();
    }

    public List<Seen> seen() {
        return new ArrayList<>(seen);
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try (ex) {
            serve(ex);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void serve(HttpExchange ex) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath();
        String range = ex.getRequestHeaders().getFirst("Range");
        seen.add(new Seen(ex.getRequestMethod(), path, range, ex.getRequestHeaders().getFirst("Authorization")));
        java.util.concurrent.Semaphore held = gate;
        if (held != null) {
            held.acquire();
        }
        if (latencyMillis > 0) {
            Thread.sleep(latencyMillis);
        }
        URI target = redirects.get(path);
        if (target != null) {
            ex.getResponseHeaders().set("Location", target.toString());
            ex.sendResponseHeaders(307, -1);
            return;
        }
        byte[] body = objects.get(path);
        java.nio.file.Path dir = root;
        if (body == null && dir != null && !path.contains("..")) {
            java.nio.file.Path file = dir.resolve(path.substring(1));
            if (java.nio.file.Files.isRegularFile(file)) {
                body = java.nio.file.Files.readAllBytes(file);
            }
        }
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            return;
        }
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head && !headAllowed) {
            ex.sendResponseHeaders(405, -1);
            return;
        }
        Fault fault = head ? Fault.NONE : java.util.Objects.requireNonNullElse(faults.poll(), Fault.NONE);
        switch (fault) {
            case UNAVAILABLE -> {
                ex.sendResponseHeaders(503, -1);
                return;
            }
            case TOO_MANY -> {
                ex.getResponseHeaders().set("Retry-After", Integer.toString(retryAfterSeconds));
                ex.sendResponseHeaders(429, -1);
                return;
            }
            case STALL -> {
                Thread.sleep(STALL_MILLIS);
                return;
            }
            default -> {
            }
        }
        ex.getResponseHeaders().set("Accept-Ranges", "bytes");
        ex.getResponseHeaders().set("ETag", "\"v1\"");
        if (head) {
            ex.getResponseHeaders().set("Content-Length", Long.toString(body.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        Matcher m = range == null ? null : RANGE.matcher(range);
        if (m == null || !m.matches() || alwaysIgnoreRanges || fault == Fault.IGNORE_RANGE) {
            send(ex, 200, body, 0, body.length, fault);
            return;
        }
        int first = Integer.parseInt(m.group(1));
        int last = Math.min(Integer.parseInt(m.group(2)), body.length - 1);
        if (first >= body.length) {
            ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
            ex.sendResponseHeaders(416, -1);
            return;
        }
        int shift = fault == Fault.WRONG_RANGE ? 1 : 0;
        ex.getResponseHeaders().set("Content-Range",
                "bytes " + (first + shift) + "-" + (last + shift) + "/" + body.length);
        send(ex, 206, body, first, last - first + 1, fault);
    }

    private static void send(HttpExchange ex, int status, byte[] body, int from, int length, Fault fault)
            throws IOException {
        OutputStream out = ex.getResponseBody();
        switch (fault) {
            case SHORT_BODY -> {
                ex.sendResponseHeaders(status, length);
                out.write(body, from, length / 2);
                out.flush();
                // Ending the exchange without the rest: the server closes the connection mid-body.
                throw new IOException("deliberately short body");
            }
            case LONG_BODY -> {
                ex.sendResponseHeaders(status, 0);
                out.write(body, from, length);
                out.write(new byte[] {1, 2, 3});
            }
            default -> {
                ex.sendResponseHeaders(status, length);
                out.write(body, from, length);
            }
        }
        out.close();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
