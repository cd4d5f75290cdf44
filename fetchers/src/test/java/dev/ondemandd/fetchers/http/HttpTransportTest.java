package dev.ondemandd.fetchers.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.FetchException;
import dev.ondemandd.fetchers.SourceOptions;
import dev.ondemandd.fetchers.testing.RangeServer;
import dev.ondemandd.fetchers.testing.TestBytes;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The transport's limits against a real HTTP server on loopback. */
@Tag("server")
class HttpTransportTest {

    @Test
    void smallBodiesAreCappedNotBufferedWhole() throws Exception {
        try (RangeServer server = new RangeServer().put("/big", TestBytes.of(100_000, 1)).put("/ok", new byte[10]);
                HttpTransport t = HttpTransport.create(SourceOptions.DEFAULTS)) {
            assertThat(t.exchange("GET", server.uri("/ok"), Map.of(), Authorizer.NONE, CappedBody.handler(1000))
                    .response().body()).hasSize(10);
            assertThatThrownBy(() -> t.exchange("GET", server.uri("/big"), Map.of(), Authorizer.NONE,
                    CappedBody.handler(1000))).isInstanceOf(FetchException.class).hasMessageContaining("larger than 1000");
        }
    }

    @Test
    void redirectLoopsEndAfterTheLimit() throws Exception {
        try (RangeServer server = new RangeServer(); HttpTransport t = HttpTransport.create(SourceOptions.DEFAULTS)) {
            server.redirect("/loop", server.uri("/loop"));
            assertThatThrownBy(() -> t.exchange("GET", server.uri("/loop"), Map.of(), Authorizer.NONE,
                    CappedBody.handler(10))).isInstanceOf(FetchException.class).hasMessageContaining("redirects");
            assertThat(server.seen()).hasSize(HttpTransport.MAX_REDIRECTS + 1);
        }
    }
}
