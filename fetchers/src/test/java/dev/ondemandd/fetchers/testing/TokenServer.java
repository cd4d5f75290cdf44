package dev.ondemandd.fetchers.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ondemandd.fetchers.Credentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A registry token server (distribution's token auth spec) on the JDK's HttpServer: answers
 * {@code GET /token?service=&scope=} with an RS256 JWT whose header carries the signing certificate
 * ({@code x5c}); the certificate is generated with keytool at start and written to a PEM bundle the registry
 * trusts ({@code rootcertbundle}).
 */
public final class TokenServer implements AutoCloseable {

    public static final String SERVICE = "ondemandd-test-registry";
    public static final String ISSUER = "ondemandd-test-issuer";

    private final HttpServer server;
    private final PrivateKey key;
    private final X509Certificate cert;
    private final Path bundle;
    private final Credentials required;
    private final List<String> scopes = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile long expiresIn = 300;
    private volatile int expiredTokensToIssue;

    /** A token server that asks for {@code required} Basic credentials (or none when null). */
    public TokenServer(Path work, Credentials required) throws IOException, GeneralSecurityException,
            InterruptedException {
        this.required = required;
        TestCertificates signer = TestCertificates.generate(work, "token-signer", null);
        key = signer.key();
        cert = signer.certificate();
        bundle = signer.pem();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("token-server-", 0).factory()));
        server.createContext("/token", this::handle);
        server.start();
    }

    public URI realm() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
    }

    /** The registry's {@code auth:} config section trusting this server. */
    public String registryAuthConfig() {
        return """
                auth:
                  token:
                    realm: %s
                    service: %s
                    issuer: %s
                    rootcertbundle: %s
                """.formatted(realm(), SERVICE, ISSUER, bundle);
    }

    /** The {@code expires_in} told to clients (and the JWT's real lifetime). */
    public TokenServer expiresIn(long seconds) {
        expiresIn = seconds;
        return this;
    }

    /** The next {@code n} tokens are already expired by their claims while expires_in says they are good. */
    public TokenServer issueExpired(int n) {
        expiredTokensToIssue = n;
        return this;
    }

    public List<String> scopes() {
        return List.copyOf(scopes);
    }

    public List<String> authorizations() {
        return List.copyOf(authorizations);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorizations.add(String.valueOf(auth));
            if (required != null && !required.basicAuthorization().equals(auth)) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            String scope = "";
            String query = ex.getRequestURI().getRawQuery();
            for (String pair : query == null ? new String[0] : query.split("&")) {
                if (pair.startsWith("scope=")) {
                    scope = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8);
                }
            }
            scopes.add(scope);
            String[] parts = scope.split(":");
            long now = Instant.now().getEpochSecond();
            boolean expired;
            synchronized (this) {
                expired = expiredTokensToIssue > 0;
                if (expired) {
                    expiredTokensToIssue--;
                }
            }
            long exp = expired ? now - 3600 : now + expiresIn;
            String access = parts.length == 3
                    ? "[{\"type\":\"%s\",\"name\":\"%s\",\"actions\":[\"pull\",\"push\"]}]".formatted(parts[0], parts[1])
                    : "[]";
            String claims = ("{\"iss\":\"%s\",\"sub\":\"tester\",\"aud\":\"%s\",\"exp\":%d,\"nbf\":%d,\"iat\":%d,"
                    + "\"jti\":\"%s\",\"access\":%s}").formatted(ISSUER, SERVICE, exp, now - 3700, now - 3700,
                    UUID.randomUUID(), access);
            String body = "{\"token\":\"%s\",\"expires_in\":%d,\"issued_at\":\"%s\"}"
                    .formatted(jwt(claims), expiresIn, Instant.ofEpochSecond(now));
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, bytes.length);
            ex.getResponseBody().write(bytes);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    private String jwt(String claims) throws GeneralSecurityException {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"%s\"]}"
                .formatted(Base64.getEncoder().encodeToString(cert.getEncoded()));
        String signingInput = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature sig = Signature.getInstance("SHA256withRSA");
        sig.initSign(key);
        sig.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        return signingInput + "." + b64.encodeToString(sig.sign());
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
