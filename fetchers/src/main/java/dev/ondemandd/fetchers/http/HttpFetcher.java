package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.SourceOptions;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads blobs from {@code http://} and {@code https://} URLs with Range requests. One instance serves one
 * configured source: its options (timeouts, concurrency limit, CA file, proxy, Basic credentials) apply to
 * every blob it opens. Retries are not done here but by the shared retry decorator.
 */
public final class HttpFetcher implements Fetcher {

    private final HttpTransport transport;
    private final Authorizer auth;

    public HttpFetcher(SourceOptions options) throws FetchException {
        this.transport = HttpTransport.create(options);
        this.auth = options.credentials() == null ? Authorizer.NONE : Authorizer.basic(options.credentials());
    }

    @Override
    public Set<String> schemes() {
        return Set.of("http", "https");
    }

    @Override
    public Blob open(URI location) throws FetchException {
        String scheme = location.getScheme() == null ? "" : location.getScheme().toLowerCase(Locale.ROOT);
        if (!schemes().contains(scheme) || location.getHost() == null) {
            throw new FetchException("not an http(s) URL with a host: " + HttpTransport.redact(location),
                    FetchException.EINVAL, false);
        }
        if (location.getRawUserInfo() != null) {
            throw new FetchException("put credentials in the source's credentials, not in the URL",
                    FetchException.EINVAL, false);
        }
        RemoteObject.Probe probe = RemoteObject.probe(transport, location, auth);
        return new HttpBlob(location, probe.object());
    }

    private final class HttpBlob implements Blob {
        private final URI uri;
        private final RemoteObject object;

        HttpBlob(URI uri, RemoteObject object) {
            this.uri = uri;
            this.object = object;
        }

        @Override
        public long size() {
            return object.size();
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws FetchException {
            object.read(transport, uri, auth, Map.of(), offset, dst);
        }

        @Override
        public String describe() {
            return HttpTransport.redact(uri);
        }
    }

    @Override
    public void close() {
        transport.close();
    }
}
