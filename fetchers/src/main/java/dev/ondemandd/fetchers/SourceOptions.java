package dev.ondemandd.fetchers;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Per-source settings of the remote fetchers, as the config's {@code sources} entries give them. Absent
 * values ({@code null}) take the defaults below, so the config can map its JSON straight into this record.
 *
 * @param plainHttp OCI over plain HTTP instead of HTTPS (loopback and tests)
 * @param credentials user and password for Basic auth or the registry's token server; never logged
 * @param dockerConfig a docker {@code config.json} whose {@code auths} supply credentials per registry host
 * @param mirrors OCI mirrors tried in order before the source itself
 * @param caFile PEM certificates to trust for TLS instead of the system's CAs
 * @param proxy an HTTP proxy ({@code http://host:port}); absent: the JVM's default proxy selector
 * @param connectTimeout time to set up a connection
 * @param requestTimeout time for one request, from sending it to the body's last byte
 * @param maxConcurrency requests in flight to this source at most
 * @param retry how failed fetches are retried
 * @param verifyWholeBlob fetch each blob that has a sha256 digest whole into a staging file and check it before
 *     serving any byte of it (lazy range fetches otherwise: a range cannot be checked against a whole-blob digest)
 */
public record SourceOptions(
        boolean plainHttp,
        Credentials credentials,
        Path dockerConfig,
        List<URI> mirrors,
        Path caFile,
        URI proxy,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxConcurrency,
        RetryPolicy retry,
        boolean verifyWholeBlob) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_CONCURRENCY = 16;
    /** More parallel requests than this per source is a misconfiguration, not a tuning. */
    public static final int MAX_CONCURRENCY_LIMIT = 1024;

    public static final SourceOptions DEFAULTS = new SourceOptions(false, null, null, null, null, null, null,
            null, 0, null, false);

    public SourceOptions {
        mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
        connectTimeout = positiveOr(connectTimeout, DEFAULT_CONNECT_TIMEOUT, "connectTimeout");
        requestTimeout = positiveOr(requestTimeout, DEFAULT_REQUEST_TIMEOUT, "requestTimeout");
        if (maxConcurrency == 0) {
            maxConcurrency = DEFAULT_MAX_CONCURRENCY;
        }
        if (maxConcurrency < 0 || maxConcurrency > MAX_CONCURRENCY_LIMIT) {
            throw new IllegalArgumentException("maxConcurrency must be 1.." + MAX_CONCURRENCY_LIMIT + ": "
                    + maxConcurrency);
        }
        retry = Objects.requireNonNullElse(retry, RetryPolicy.DEFAULT);
    }

    /** Without {@code verifyWholeBlob} (off). */
    public SourceOptions(boolean plainHttp, Credentials credentials, Path dockerConfig, List<URI> mirrors, Path caFile,
            URI proxy, Duration connectTimeout, Duration requestTimeout, int maxConcurrency, RetryPolicy retry) {
        this(plainHttp, credentials, dockerConfig, mirrors, caFile, proxy, connectTimeout, requestTimeout,
                maxConcurrency, retry, false);
    }

    private static Duration positiveOr(Duration value, Duration fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
        return value;
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builds options field by field; fields left alone keep their values (or defaults). */
    public static final class Builder {
        private boolean plainHttp;
        private Credentials credentials;
        private Path dockerConfig;
        private List<URI> mirrors;
        private Path caFile;
        private URI proxy;
        private Duration connectTimeout;
        private Duration requestTimeout;
        private int maxConcurrency;
        private RetryPolicy retry;
        private boolean verifyWholeBlob;

        private Builder(SourceOptions o) {
            plainHttp = o.plainHttp;
            credentials = o.credentials;
            dockerConfig = o.dockerConfig;
            mirrors = o.mirrors;
            caFile = o.caFile;
            proxy = o.proxy;
            connectTimeout = o.connectTimeout;
            requestTimeout = o.requestTimeout;
            maxConcurrency = o.maxConcurrency;
            retry = o.retry;
            verifyWholeBlob = o.verifyWholeBlob;
        }

        public Builder plainHttp(boolean value) {
            plainHttp = value;
            return this;
        }

        public Builder credentials(Credentials value) {
            credentials = value;
            return this;
        }

        public Builder dockerConfig(Path value) {
            dockerConfig = value;
            return this;
        }

        public Builder mirrors(List<URI> value) {
            mirrors = value;
            return this;
        }

        public Builder caFile(Path value) {
            caFile = value;
            return this;
        }

        public Builder proxy(URI value) {
            proxy = value;
            return this;
        }

        public Builder timeouts(Duration connect, Duration request) {
            connectTimeout = connect;
            requestTimeout = request;
            return this;
        }

        public Builder maxConcurrency(int value) {
            maxConcurrency = value;
            return this;
        }

        public Builder retry(RetryPolicy value) {
            retry = value;
            return this;
        }

        public Builder verifyWholeBlob(boolean value) {
            verifyWholeBlob = value;
            return this;
        }

        public SourceOptions build() {
            return new SourceOptions(plainHttp, credentials, dockerConfig, mirrors, caFile, proxy, connectTimeout,
                    requestTimeout, maxConcurrency, retry, verifyWholeBlob);
        }
    }
}
