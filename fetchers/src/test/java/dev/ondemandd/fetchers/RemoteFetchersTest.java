package dev.ondemandd.fetchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.decorators.FetchMetrics;
import dev.ondemandd.fetchers.testing.RangeServer;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class RemoteFetchersTest {

    @Test
    void eachRemoteSchemeGetsItsFetcher() throws Exception {
        for (String scheme : RemoteFetchers.SCHEMES) {
            try (Fetcher f = RemoteFetchers.create(scheme, SourceOptions.DEFAULTS, "s", FetchMetrics.NONE)) {
                assertThat(f.schemes()).contains(scheme);
            }
        }
    }

    @Test
    void otherSchemesAreEinval() {
        assertThatThrownBy(() -> RemoteFetchers.create("ftp", SourceOptions.DEFAULTS, "s", FetchMetrics.NONE))
                .isInstanceOfSatisfying(FetchException.class, e -> assertThat(e.errno()).isEqualTo(FetchException.EINVAL));
    }

    @Test
    void credentialsNeverShowInOptions() {
        SourceOptions o = SourceOptions.DEFAULTS.toBuilder().credentials(new Credentials("u", "hunter2")).build();
        assertThat(o.toString()).doesNotContain("hunter2");
    }

    @Test
    @Tag("server")
    void eachUrlIsServedWithTheOptionsOfTheSourceWhoseTemplateItMatches() throws Exception {
        try (RangeServer a = new RangeServer().put("/a/blob", new byte[10]);
                RangeServer b = new RangeServer().put("/b/blob", new byte[20]).put("/other", new byte[5])) {
            Credentials alice = new Credentials("alice", "a");
            Credentials bob = new Credentials("bob", "b");
            List<Fetcher> fetchers = RemoteFetchers.forSources(List.of(
                    new RemoteFetchers.RemoteSource("a", a.uri("/").toString() + "a/{cookie}",
                            SourceOptions.DEFAULTS.toBuilder().credentials(alice).build()),
                    new RemoteFetchers.RemoteSource("b", b.uri("/").toString() + "b/{cookie}",
                            SourceOptions.DEFAULTS.toBuilder().credentials(bob).build())), FetchMetrics.NONE);
            try (FetcherRegistry registry = FetcherRegistry.of(fetchers)) {
                assertThat(registry.schemes()).containsExactlyInAnyOrder("http", "https", "oci", "nfs");
                assertThat(registry.open(a.uri("/a/blob")).size()).isEqualTo(10);
                assertThat(registry.open(b.uri("/b/blob")).size()).isEqualTo(20);
                assertThat(registry.open(b.uri("/other")).size()).isEqualTo(5);
            }
            assertThat(a.seen()).extracting(RangeServer.Seen::authorization).containsOnly(alice.basicAuthorization());
            assertThat(b.seen()).extracting(RangeServer.Seen::authorization)
                    .containsExactly(bob.basicAuthorization(), null);
        }
    }
}
