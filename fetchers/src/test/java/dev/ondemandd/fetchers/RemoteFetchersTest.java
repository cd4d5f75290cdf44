package dev.ondemandd.fetchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ondemandd.fetchers.decorators.FetchMetrics;
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
}
