package dev.ondemandd.fetchers.oci;

import dev.ondemandd.fetchers.Blob;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.Fetcher;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.http.Authorizer;
import dev.ondemandd.fetchers.http.HttpTransport;
import dev.ondemandd.fetchers.http.RemoteObject;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads blobs from an OCI registry ({@code oci://host[:port]/repository@sha256:<hex>}) with Range GETs on
 * {@code /v2/<repository>/blobs/<digest>}. Mirrors are tried in order, the source itself last; a redirect to
 * object storage is reused until it expires, without the registry's Authorization.
 */
public final class OciFetcher implements Fetcher {

    private static final System.Logger LOG = System.getLogger(OciFetcher.class.getName());

    private final SourceOptions options;
    private final HttpTransport transport;
    private final Clock clock;
    private final RegistryAuthorizer.TokenCache tokens = new RegistryAuthorizer.TokenCache();
    private final Map<String, RegistryAuthorizer> authorizers = new ConcurrentHashMap<>();

    public OciFetcher(SourceOptions options) throws FetchException {
        this(options, Clock.systemUTC());
    }

    public OciFetcher(SourceOptions options, Clock clock) throws FetchException {
        this.options = options;
        this.transport = HttpTransport.create(options);
        this.clock = clock;
    }

    @Override
    public Set<String> schemes() {
        return Set.of("oci");
    }

    /** One registry to ask: the blob's URL there and the authorization for its repository. */
    record Endpoint(OciLocation location, URI blobUri, Authorizer auth) {
    }

    /** The registries to try for {@code location}, mirrors first, each with its authorizer. */
    List<Endpoint> endpoints(OciLocation location, String kind) throws FetchException {
        List<Endpoint> list = new ArrayList<>();
        for (URI mirror : options.mirrors()) {
            list.add(endpoint(location.on(mirror), kind, false));
        }
        list.add(endpoint(location, kind, true));
        return list;
    }

    private Endpoint endpoint(OciLocation at, String kind, boolean upstream) throws FetchException {
        URI uri = URI.create(at.registry(options.plainHttp()) + "/v2/" + at.repository() + "/" + kind + "/"
                + at.reference());
        Credentials creds = credentialsFor(at.authority(), upstream);
        Authorizer auth = authorizers.computeIfAbsent(at.authority() + "/" + at.repository() + (creds == null ? "" : "+"),
                k -> new RegistryAuthorizer(transport, creds, at.repository(), tokens, clock));
        return new Endpoint(at, uri, auth);
    }

    /** The source's own credentials go to the source only; a mirror gets what the docker config has for it. */
    private Credentials credentialsFor(String authority, boolean upstream) throws FetchException {
        if (upstream && options.credentials() != null) {
            return options.credentials();
        }
        if (options.dockerConfig() != null) {
            return DockerConfig.credentialsFor(options.dockerConfig(), authority).orElse(null);
        }
        return null;
    }

    HttpTransport transport() {
        return transport;
    }

    @Override
    public Blob open(URI uri) throws FetchException {
        OciLocation location = OciLocation.parse(uri);
        if (!location.byDigest()) {
            throw new FetchException("an OCI blob is named by its digest: " + location, FetchException.EINVAL, false);
        }
        List<Endpoint> endpoints = endpoints(location, "blobs");
        FetchException last = null;
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint ep = endpoints.get(i);
            try {
                RemoteObject.Probe probe = RemoteObject.probe(transport, ep.blobUri(), ep.auth());
                // Content-addressed: ETags (which differ between registry and storage) add nothing to the digest.
                RemoteObject object = new RemoteObject(probe.object().size(), null, probe.object().ignoresRanges());
                return new OciBlob(location, endpoints, i, object);
            } catch (FetchException e) {
                last = e;
                if (i + 1 < endpoints.size()) {
                    LOG.log(System.Logger.Level.WARNING, "OCI open {0} on {1} failed, trying the next: {2}",
                            location.reference(), ep.location().authority(), e.getMessage());
                }
            }
        }
        throw last;
    }

    /** A redirect target and until when to reuse it. */
    private record Redirect(URI uri, Instant until) {
    }

    private final class OciBlob implements Blob {
        private final OciLocation location;
        private final List<Endpoint> endpoints;
        private final RemoteObject object;
        private volatile int current;
        private volatile Redirect redirect;

        OciBlob(OciLocation location, List<Endpoint> endpoints, int current, RemoteObject object) {
            this.location = location;
            this.endpoints = endpoints;
            this.current = current;
            this.object = object;
        }

        @Override
        public long size() {
            return object.size();
        }

        @Override
        public Optional<String> digest() {
            return Optional.of(location.reference());
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws FetchException {
            Redirect r = redirect;
            if (r != null) {
                if (clock.instant().isBefore(r.until())) {
                    try {
                        object.read(transport, r.uri(), Authorizer.NONE, Map.of(), offset, dst);
                        return;
                    } catch (FetchException e) {
                        if (e.errno() == FetchException.ESTALE) {
                            throw e;
                        }
                        // Expired early, revoked, or storage trouble: ask the registry for a fresh one.
                    }
                }
                redirect = null;
            }
            FetchException last = null;
            int start = current;
            for (int n = 0; n < endpoints.size() - start; n++) {
                int i = start + n;
                Endpoint ep = endpoints.get(i);
                try {
                    URI answered = object.read(transport, ep.blobUri(), ep.auth(), Map.of(), offset, dst);
                    if (!HttpTransport.sameOrigin(ep.blobUri(), answered)) {
                        redirect = new Redirect(answered, RedirectExpiry.of(answered, clock.instant()));
                    }
                    current = i;
                    return;
                } catch (FetchException e) {
                    if (e.errno() == FetchException.ESTALE) {
                        throw e;
                    }
                    last = e;
                }
            }
            // Every endpoint from the current one failed: start over from the first mirror next time.
            current = 0;
            throw last;
        }

        @Override
        public String describe() {
            return location.toString();
        }
    }

    @Override
    public void close() {
        transport.close();
    }
}
