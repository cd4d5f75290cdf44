package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import dev.ondemandd.fetchers.Credentials;
import dev.ondemandd.fetchers.SourceOptions;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One entry of {@code sources}: objects whose volume key and cookie key match these globs are fetched from
 * {@code url} ({@code {volume}} and {@code {cookie}} are substituted). Globs default to {@code *}. The other
 * keys configure remote sources (docs/fetchers.md); absent ones take the fetchers' defaults.
 */
public record SourceConfig(String volume, String cookie, String url,
        Boolean plainHttp,
        Credentials credentials,
        String dockerConfig,
        List<String> mirrors,
        String caFile,
        String proxy,
        @JsonDeserialize(using = DurationDeserializer.class) Duration connectTimeout,
        @JsonDeserialize(using = DurationDeserializer.class) Duration requestTimeout,
        Integer maxConcurrency,
        Boolean verifyWholeBlob) {

    public SourceConfig {
        if (volume == null) {
            volume = "*";
        }
        if (cookie == null) {
            cookie = "*";
        }
    }

    public SourceConfig(String volume, String cookie, String url) {
        this(volume, cookie, url, null, null, null, null, null, null, null, null, null, null);
    }

    /** Without {@code verifyWholeBlob} (off). */
    public SourceConfig(String volume, String cookie, String url, Boolean plainHttp, Credentials credentials,
            String dockerConfig, List<String> mirrors, String caFile, String proxy, Duration connectTimeout,
            Duration requestTimeout, Integer maxConcurrency) {
        this(volume, cookie, url, plainHttp, credentials, dockerConfig, mirrors, caFile, proxy, connectTimeout,
                requestTimeout, maxConcurrency, null);
    }

    /** The remote fetchers' options; {@code path} names this entry in errors ({@code sources[2]}). */
    public SourceOptions options(String path) throws ConfigException {
        List<URI> mirrorUris = new ArrayList<>();
        if (mirrors != null) {
            for (int i = 0; i < mirrors.size(); i++) {
                mirrorUris.add(uri(path + ".mirrors[" + i + "]", mirrors.get(i)));
            }
        }
        try {
            return SourceOptions.DEFAULTS.toBuilder()
                    .plainHttp(Boolean.TRUE.equals(plainHttp))
                    .credentials(credentials)
                    .dockerConfig(dockerConfig == null ? null : Path.of(dockerConfig))
                    .mirrors(mirrorUris)
                    .caFile(caFile == null ? null : Path.of(caFile))
                    .proxy(proxy == null ? null : uri(path + ".proxy", proxy))
                    .timeouts(connectTimeout, requestTimeout)
                    .maxConcurrency(maxConcurrency == null ? 0 : maxConcurrency)
                    .verifyWholeBlob(Boolean.TRUE.equals(verifyWholeBlob))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(path, e.getMessage(), e);
        }
    }

    private static URI uri(String path, String value) throws ConfigException {
        try {
            URI u = new URI(value);
            if (u.getScheme() == null || u.getHost() == null) {
                throw new ConfigException(path, "need a URL with a scheme and a host, not " + value);
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(path, "not a URL: " + e.getMessage(), e);
        }
    }
}
