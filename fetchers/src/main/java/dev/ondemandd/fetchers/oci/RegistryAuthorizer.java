package dev.ondemandd.fetchers.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.http.Authorizer;
import dev.ondemandd.fetchers.http.CappedBody;
import dev.ondemandd.fetchers.http.HttpTransport;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authorization for one repository on one registry: anonymous until challenged, then HTTP Basic or the
 * registry token flow (distribution's token spec). A Bearer challenge sends us to its realm with
 * {@code service} and {@code scope} (Basic credentials attached when configured); the answer's {@code token}
 * (or {@code access_token}) is cached per realm, service and scope, refreshed before it expires and once
 * more when the registry still answers 401.
 */
public final class RegistryAuthorizer implements Authorizer {

    /** The token spec's default lifetime when {@code expires_in} is absent. */
    static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);
    /** A token is refreshed at least this often, whatever lifetime the registry claims. */
    static final Duration MAX_TOKEN_LIFETIME = Duration.ofDays(1);
    /** Refresh this share of a token's lifetime before it ends, at most {@link #MAX_REFRESH_MARGIN}. */
    private static final int REFRESH_MARGIN_DIVISOR = 5;
    private static final Duration MAX_REFRESH_MARGIN = Duration.ofSeconds(30);
    /** A token server's answer larger than this is refused. */
    private static final int MAX_TOKEN_RESPONSE = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A cached token: the header value and when to stop using it. */
    record Token(String header, Instant refreshAt) {
        @Override
        public String toString() {
            return "Token[refreshAt=" + refreshAt + "]";
        }
    }

    /** Tokens shared by all repositories of a fetcher, keyed by realm, service and scope. */
    public static final class TokenCache {
        private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    }

    private final HttpTransport transport;
    private final Credentials credentials;
    private final String scope;
    private final TokenCache cache;
    private final Clock clock;
    private volatile WwwAuthenticate challenge;

    public RegistryAuthorizer(HttpTransport transport, Credentials credentials, String repository, TokenCache cache,
            Clock clock) {
        this.transport = transport;
        this.credentials = credentials;
        this.scope = "repository:" + repository + ":pull";
        this.cache = cache;
        this.clock = clock;
    }

    @Override
    public Optional<String> authorization() throws FetchException {
        WwwAuthenticate c = challenge;
        if (c == null) {
            return Optional.empty();
        }
        if (c.scheme().equals("basic")) {
            return Optional.ofNullable(credentials).map(Credentials::basicAuthorization);
        }
        Token t = cache.tokens.get(key(c));
        if (t == null || !clock.instant().isBefore(t.refreshAt())) {
            t = fetchToken(c);
        }
        return Optional.of(t.header());
    }

    @Override
    public boolean unauthorized(HttpHeaders headers, Optional<String> sent) throws FetchException {
        Optional<WwwAuthenticate> parsed = headers.allValues("WWW-Authenticate").stream()
                .map(WwwAuthenticate::parse).flatMap(Optional::stream)
                .filter(w -> w.scheme().equals("bearer") || w.scheme().equals("basic"))
                .findFirst();
        if (parsed.isEmpty()) {
            return false;
        }
        WwwAuthenticate c = parsed.get();
        challenge = c;
        if (c.scheme().equals("basic")) {
            return credentials != null && !sent.equals(Optional.of(credentials.basicAuthorization()));
        }
        // A 401 to a token we sent: it expired early or was revoked. Fetch a new one, once.
        Token fresh = fetchToken(c);
        return !sent.equals(Optional.of(fresh.header()));
    }

    private String key(WwwAuthenticate c) {
        return c.param("realm").orElse("") + "|" + c.param("service").orElse("") + "|" + c.param("scope").orElse(scope);
    }

    private Token fetchToken(WwwAuthenticate c) throws FetchException {
        String realm = c.param("realm").orElseThrow(() -> new FetchException(
                "registry sent a Bearer challenge without realm", FetchException.EACCES, false));
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new FetchException("registry sent a malformed token realm", FetchException.EACCES, false, e);
        }
        if (realmUri.getScheme() == null || !realmUri.getScheme().matches("(?i)https?") || realmUri.getHost() == null) {
            throw new FetchException("token realm is not an http(s) URL: " + HttpTransport.redact(realmUri),
                    FetchException.EACCES, false);
        }
        StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        c.param("service").ifPresent(s -> q.append("service=").append(enc(s)).append('&'));
        q.append("scope=").append(enc(c.param("scope").orElse(scope)));
        URI tokenUri = URI.create(q.toString());
        Instant asked = clock.instant();
        HttpTransport.Exchange<byte[]> got = transport.exchange("GET", tokenUri, Map.of("Accept", "application/json"),
                credentials == null ? Authorizer.NONE : Authorizer.basic(credentials), CappedBody.handler(MAX_TOKEN_RESPONSE));
        String what = "token from " + HttpTransport.redact(tokenUri);
        if (got.status() != 200) {
            throw HttpTransport.statusError(what, got.status() == 401 ? 403 : got.status());
        }
        Token token = parseToken(got.response().body(), asked, what);
        cache.tokens.put(key(c), token);
        return token;
    }

    static Token parseToken(byte[] body, Instant asked, String what) throws FetchException {
        JsonNode json;
        try {
            json = JSON.readTree(body);
        } catch (IOException e) {
            throw new FetchException(what + ": not JSON", FetchException.EACCES, false, e);
        }
        String token = text(json, "token");
        if (token == null) {
            token = text(json, "access_token");
        }
        if (token == null || token.isEmpty() || !token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new FetchException(what + ": no usable token in the answer", FetchException.EACCES, false);
        }
        Duration lifetime = DEFAULT_TOKEN_LIFETIME;
        JsonNode expires = json.get("expires_in");
        if (expires != null && expires.canConvertToLong() && expires.asLong() > 0) {
            // Capped: a registry's absurd expires_in must not overflow the Instant (found by fuzzing).
            lifetime = Duration.ofSeconds(Math.min(expires.asLong(), MAX_TOKEN_LIFETIME.toSeconds()));
        }
        Duration margin = lifetime.dividedBy(REFRESH_MARGIN_DIVISOR);
        if (margin.compareTo(MAX_REFRESH_MARGIN) > 0) {
            margin = MAX_REFRESH_MARGIN;
        }
        return new Token("Bearer " + token, asked.plus(lifetime).minus(margin));
    }

    private static String text(JsonNode json, String field) {
        JsonNode n = json.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RegistryAuthorizer[" + scope + (credentials == null ? ", anonymous" : ", as " + credentials.username())
                + "]";
    }
}
