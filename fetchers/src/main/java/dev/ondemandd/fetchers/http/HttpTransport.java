package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.RetryLaterException;
import dev.ondemandd.fetchers.SourceOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * One source's HTTP client: timeouts, a concurrency limit, TLS trust, proxy, and redirects followed by hand so
 * that {@code Authorization} goes only to the origin the request started on.
 *
 * <p>Every request runs against a deadline that covers the body's last byte ({@link
 * HttpRequest#timeout} alone stops at the headers), and a body is only ever handed to a caller-chosen
 * subscriber, so a large range streams into the caller's buffer instead of a byte array.
 */
public final class HttpTransport implements AutoCloseable {

    /** Redirect hops followed at most; a registry sends one, object storage none. */
    public static final int MAX_REDIRECTS = 5;

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /**
     * Built on the first request, not with the transport: building it sets up the JDK's default TLS context (key
     * stores, providers), ~120 ms of a daemon's start-up that serves local or NFS images only — it came before READY.
     */
    private final HttpClient.Builder builder;
    private HttpClient client;
    private boolean closed;
    private final ExecutorService executor;
    private final Duration requestTimeout;
    private final Semaphore permits;
    private final int maxConcurrency;

    private HttpTransport(HttpClient.Builder builder, ExecutorService executor, Duration requestTimeout,
            int maxConcurrency) {
        this.builder = builder;
        this.executor = executor;
        this.requestTimeout = requestTimeout;
        this.maxConcurrency = maxConcurrency;
        this.permits = new Semaphore(maxConcurrency, true);
    }

    /** A transport with the options' timeouts, concurrency limit, CA file and proxy. */
    public static HttpTransport create(SourceOptions options) throws FetchException {
        String prefix = "http-" + INSTANCES.incrementAndGet() + "-";
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name(prefix, 0).factory());
        HttpClient.Builder builder = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(options.connectTimeout())
                .executor(executor);
        if (options.caFile() != null) {
            builder.sslContext(trusting(options.caFile()));
        }
        if (options.proxy() != null) {
            URI p = options.proxy();
            if (p.getHost() == null || p.getPort() < 0) {
                throw new FetchException("proxy must be http://host:port: " + p, FetchException.EINVAL, false);
            }
            builder.proxy(ProxySelector.of(new InetSocketAddress(p.getHost(), p.getPort())));
        }
        return new HttpTransport(builder, executor, options.requestTimeout(), options.maxConcurrency());
    }

    private synchronized HttpClient client() throws FetchException {
        if (closed) {
            throw new FetchException("the HTTP transport is closed", FetchException.EIO, false);
        }
        if (client == null) {
            client = builder.build();
        }
        return client;
    }

    /** An SSL context that trusts exactly the certificates in a PEM file; host names are still verified. */
    static SSLContext trusting(Path caFile) throws FetchException {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + n++, cert);
            }
            if (n == 0) {
                throw new FetchException("caFile " + caFile + " holds no PEM certificate", FetchException.EINVAL, false);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new FetchException("cannot load caFile " + caFile + ": " + e.getMessage(), FetchException.EINVAL,
                    false, e);
        }
    }

    /** The answer to a request, and the URI that gave it after redirects. */
    public record Exchange<T>(URI uri, HttpResponse<T> response) {
        public int status() {
            return response.statusCode();
        }

        /** Whether a redirect took the request to another host. */
        public boolean leftOrigin(URI origin) {
            return !sameOrigin(origin, uri);
        }
    }

    /**
     * Sends {@code method uri} with {@code headers}, following redirects and, on a 401, trying again when the
     * authorizer got new credentials: once after a challenge to an anonymous request, once after a refresh. A 2xx body goes to {@code onSuccess}; any other body is discarded and
     * the caller reads the status. Each request, body included, runs under the request timeout and one
     * permit of the source's concurrency limit.
     */
    public <T> Exchange<T> exchange(String method, URI uri, Map<String, String> headers, Authorizer auth,
            BodyHandler<T> onSuccess) throws FetchException {
        Objects.requireNonNull(auth, "auth");
        {
            URI current = uri;
            boolean authAllowed = true;
            // One 401 answered by a challenge (nothing was sent) and one by a refresh (what was sent failed).
            boolean challenged = false;
            boolean refreshed = false;
            for (int hop = 0; ; ) {
                Optional<String> authorization = authAllowed ? auth.authorization() : Optional.empty();
                HttpRequest.Builder rb = HttpRequest.newBuilder(current).method(method, HttpRequest.BodyPublishers.noBody())
                        .timeout(requestTimeout);
                headers.forEach(rb::header);
                authorization.ifPresent(a -> rb.header("Authorization", a));
                HttpResponse<T> response = send(rb.build(), info -> info.statusCode() / 100 == 2
                        ? onSuccess.apply(info)
                        : BodySubscribers.replacing(null));
                int status = response.statusCode();
                if (isRedirect(status)) {
                    Optional<String> location = response.headers().firstValue("Location");
                    if (location.isEmpty()) {
                        throw new FetchException(method + " " + redact(current) + ": " + status + " without Location",
                                FetchException.EIO, false);
                    }
                    if (++hop > MAX_REDIRECTS) {
                        throw new FetchException(method + " " + redact(uri) + ": more than " + MAX_REDIRECTS
                                + " redirects", FetchException.EIO, false);
                    }
                    URI next = resolve(current, location.get());
                    // Once off the origin, credentials stay off: a chain that comes back is not trusted.
                    authAllowed &= sameOrigin(uri, next);
                    current = next;
                    continue;
                }
                if (status == 401 && authAllowed && !(authorization.isEmpty() ? challenged : refreshed)
                        && auth.unauthorized(response.headers(), authorization)) {
                    if (authorization.isEmpty()) {
                        challenged = true;
                    } else {
                        refreshed = true;
                    }
                    continue;
                }
                return new Exchange<>(current, response);
            }
        }
    }

    private void acquire(URI uri) throws FetchException {
        try {
            if (!permits.tryAcquire(requestTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new FetchException("all " + maxConcurrency + " connections to " + uri.getHost()
                        + " busy for " + requestTimeout, FetchException.EIO, true);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FetchException("interrupted waiting for a connection to " + uri.getHost(), FetchException.EIO,
                    false, e);
        }
    }

    /** One request under one permit; the permit is not held while an authorizer fetches a token. */
    private <T> HttpResponse<T> send(HttpRequest request, BodyHandler<T> handler) throws FetchException {
        acquire(request.uri());
        try {
            return sendPermitted(request, handler);
        } finally {
            permits.release();
        }
    }

    private <T> HttpResponse<T> sendPermitted(HttpRequest request, BodyHandler<T> handler) throws FetchException {
        // send() on a thread of our own, not sendAsync(): the JDK hops sendAsync's answer through the common
        // ForkJoinPool, so a caller running there (or a pool busy elsewhere) would wait for itself. Cancelling
        // interrupts send(), which cancels the exchange.
        HttpClient http = client();
        Future<HttpResponse<T>> future = executor.submit(() -> http.send(request, handler));
        String what = request.method() + " " + redact(request.uri());
        try {
            return future.get(requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new FetchException(what + ": no complete answer within " + requestTimeout, FetchException.EIO, true, e);
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            throw new FetchException(what + ": interrupted", FetchException.EIO, false, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io && !(cause instanceof HttpConnectTimeoutException)
                    && io.getCause() != null && io.getClass() == IOException.class) {
                cause = io.getCause(); // send() wraps what the exchange failed with in a plain IOException
            }
            if (cause instanceof FetchException fe) {
                throw fe;
            }
            if (cause instanceof HttpConnectTimeoutException) {
                throw new FetchException(what + ": connect timed out", FetchException.EIO, true, cause);
            }
            if (cause instanceof IOException) {
                // Connection refused or reset, TLS failure, stream closed early: the network, not the request.
                boolean tls = cause instanceof javax.net.ssl.SSLException;
                throw new FetchException(what + ": " + cause, FetchException.EIO, !tls, cause);
            }
            throw new FetchException(what + ": " + cause, FetchException.EIO, false, cause);
        }
    }

    /** The typed failure for a non-2xx status that is not handled otherwise. */
    public static FetchException statusError(String what, int status) {
        return switch (status) {
            case 404, 410 -> new FetchException(what + ": " + status + " not found", FetchException.ENOENT, false);
            case 401, 403 -> new FetchException(what + ": " + status + " refused", FetchException.EACCES, false);
            case 408, 425, 429 -> new FetchException(what + ": " + status + " try later", FetchException.EIO, true);
            default -> new FetchException(what + ": HTTP " + status, FetchException.EIO, status >= 500);
        };
    }

    /** Longest Retry-After honoured; a larger one is treated as this (the retry budget decides anyway). */
    static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(1);

    /** As {@link #statusError(String, int)}, with a 429's or 503's {@code Retry-After} (delta-seconds) kept. */
    public static FetchException statusError(String what, HttpResponse<?> response) {
        int status = response.statusCode();
        if (status == 429 || status == 503) {
            OptionalLong seconds = response.headers().firstValue("Retry-After")
                    .filter(v -> v.matches("\\d{1,6}")).map(v -> OptionalLong.of(Long.parseLong(v)))
                    .orElse(OptionalLong.empty());
            if (seconds.isPresent()) {
                Duration wait = Duration.ofSeconds(seconds.getAsLong());
                return new RetryLaterException(what + ": " + status + ", retry after "
                        + seconds.getAsLong() + "s", wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait);
            }
        }
        return statusError(what, status);
    }

    static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static URI resolve(URI base, String location) throws FetchException {
        try {
            URI next = base.resolve(location);
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new FetchException("redirect to a non-HTTP location", FetchException.EIO, false);
            }
            return next;
        } catch (IllegalArgumentException e) {
            throw new FetchException("redirect to a malformed location", FetchException.EIO, false, e);
        }
    }

    /** Same scheme, host and port (default ports filled in). */
    public static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** A URI fit for logs: no user info, no query (pre-signed URLs carry signatures there). */
    public static String redact(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "")
                + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            if (client != null) {
                client.close();
            }
        }
        executor.close();
    }
}
