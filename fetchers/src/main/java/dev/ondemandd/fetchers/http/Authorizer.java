package dev.ondemandd.fetchers.http;

import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.FetchException;
import java.net.http.HttpHeaders;
import java.util.Optional;

/**
 * Supplies the {@code Authorization} header for requests to one origin. {@link HttpTransport} asks for it only
 * while a request is still on that origin: after a redirect to another host, nothing is sent.
 */
public interface Authorizer {

    /** Sends nothing. */
    Authorizer NONE = new Authorizer() {
        @Override
        public Optional<String> authorization() {
            return Optional.empty();
        }

        @Override
        public boolean unauthorized(HttpHeaders challenge, Optional<String> sent) {
            return false;
        }
    };

    /** The header value to send now, if any. */
    Optional<String> authorization() throws FetchException;

    /**
     * Told of a 401 answer (its headers carry the {@code WWW-Authenticate} challenge) to a request that carried
     * {@code sent}. Returns true when it now holds different credentials worth exactly one more try.
     */
    boolean unauthorized(HttpHeaders challenge, Optional<String> sent) throws FetchException;

    /** HTTP Basic with fixed credentials, sent preemptively. */
    static Authorizer basic(Credentials credentials) {
        String header = credentials.basicAuthorization();
        return new Authorizer() {
            @Override
            public Optional<String> authorization() {
                return Optional.of(header);
            }

            @Override
            public boolean unauthorized(HttpHeaders challenge, Optional<String> sent) {
                return false;
            }
        };
    }
}
