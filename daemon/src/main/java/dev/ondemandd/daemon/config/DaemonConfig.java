package dev.ondemandd.daemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ondemandd.daemon.core.CoreSettings;
import dev.ondemandd.daemon.core.SourceResolver;
import dev.ondemandd.daemon.core.SourceRule;
import dev.ondemandd.daemon.frontend.fanotify.ImageSpec;
import dev.ondemandd.fetchers.FetcherRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The daemon's configuration file, one JSON object. Unknown keys are errors, so a typo never silently
 * changes nothing. Sections other features own ({@code metrics}, {@code control}) are accepted here as raw
 * JSON until their owners give them a type. {@code frontend} is {@code cachefiles} (the default),
 * {@code fanotify} or {@code auto}; {@code cache} and {@code images} are the fanotify frontend's.
 *
 * <pre>
 * {"cachefiles": {"dir": "/var/cache/ondemandd", "tag": "ondemandd"},
 *  "sources": [{"volume": "erofs,*", "cookie": "*", "url": "file:///srv/blobs/{cookie}"}],
 *  "dispatcher": {"concurrency": 16, "readDeadline": "30s"}}
 * </pre>
 */
public record DaemonConfig(
        CachefilesConfig cachefiles,
        List<SourceConfig> sources,
        DispatcherConfig dispatcher,
        String frontend,
        CacheConfig cache,
        List<ImageConfig> images,
        JsonNode metrics,
        JsonNode control) {

    public DaemonConfig {
        sources = sources == null ? null : List.copyOf(sources);
        images = images == null ? List.of() : List.copyOf(images);
    }

    /** The values {@code frontend} may take. */
    public static final List<String> FRONTENDS = List.of("cachefiles", "fanotify", "auto");

    /** A configuration with only sources, for replay and demo. */
    public static DaemonConfig ofSources(List<SourceConfig> sources) {
        return new DaemonConfig(null, sources, null, null, null, null, null, null);
    }

    /** Checks what can be checked without a fetcher registry; called by {@link ConfigLoader}. */
    void validate() throws ConfigException {
        if (sources == null) {
            throw new ConfigException("sources", "required: a list like [{\"volume\": \"erofs,*\", \"cookie\": \"*\","
                    + " \"url\": \"file:///srv/blobs/{cookie}\"}]");
        }
        sourceRules();
        coreSettings();
        if (frontend != null && !FRONTENDS.contains(frontend)) {
            throw new ConfigException("frontend", "must be one of " + String.join(", ", FRONTENDS) + ", not \""
                    + frontend + "\"");
        }
        imageSpecs();
        if (cachefiles != null) {
            requireText("cachefiles.dir", cachefiles.dir());
            requireText("cachefiles.tag", cachefiles.tag());
            requireText("cachefiles.device", cachefiles.device());
        }
    }

    private static void requireText(String path, String value) throws ConfigException {
        if (value == null || value.isBlank()) {
            throw new ConfigException(path, "required, a non-empty string");
        }
    }

    /** The cachefiles section, which {@code run} needs. */
    public CachefilesConfig requireCachefiles() throws ConfigException {
        if (cachefiles == null) {
            throw new ConfigException("cachefiles", "required to serve /dev/cachefiles: add"
                    + " {\"dir\": \"/var/cache/ondemandd\", \"tag\": \"ondemandd\"}");
        }
        return cachefiles;
    }

    /** {@code frontend}, {@code cachefiles} when absent. */
    public String frontendName() {
        return frontend == null ? "cachefiles" : frontend;
    }

    /** The cache section, which the fanotify frontend needs. */
    public CacheConfig requireCache() throws ConfigException {
        if (cache == null || cache.dir() == null || cache.dir().isBlank()) {
            throw new ConfigException("cache", "required to serve images through fanotify: add"
                    + " {\"dir\": \"/var/cache/ondemandd\"}");
        }
        return cache;
    }

    /** The {@code images} as the fanotify frontend takes them, in order. */
    public List<ImageSpec> imageSpecs() throws ConfigException {
        List<ImageSpec> specs = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            if (images.get(i) == null) {
                throw new ConfigException("images[" + i + "]", "must be an object with meta, blobs and mountpoint");
            }
            specs.add(images.get(i).toSpec("images[" + i + "]"));
        }
        return specs;
    }

    /** The sources as rules, in order. */
    public List<SourceRule> sourceRules() throws ConfigException {
        List<SourceRule> rules = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            SourceConfig source = sources.get(i);
            if (source == null) {
                throw new ConfigException("sources[" + i + "]", "must be an object with a url");
            }
            if (source.url() == null) {
                throw new ConfigException("sources[" + i + "].url", "required, e.g. \"file:///srv/blobs/{cookie}\"");
            }
            try {
                rules.add(SourceRule.of(source.volume(), source.cookie(), source.url()));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("sources[" + i + "].url", e.getMessage());
            }
        }
        return rules;
    }

    /** The sources resolved against the fetchers this daemon has; a scheme nobody serves is an error. */
    public SourceResolver resolver(FetcherRegistry fetchers) throws ConfigException {
        List<SourceRule> rules = sourceRules();
        for (int i = 0; i < rules.size(); i++) {
            if (fetchers.forScheme(rules.get(i).scheme()).isEmpty()) {
                throw new ConfigException("sources[" + i + "].url", "no fetcher for URL scheme '"
                        + rules.get(i).scheme() + "' (this daemon serves: " + String.join(", ", fetchers.schemes())
                        + ")");
            }
        }
        return new SourceResolver(rules, fetchers);
    }

    /** Whether {@code dispatcher.amplifyUnit} is set: then it, not an image's chunk size, is the fanotify fill unit. */
    public boolean unitConfigured() {
        return dispatcher != null && dispatcher.amplifyUnit() != null;
    }

    /** The dispatcher section on top of the defaults. */
    public CoreSettings coreSettings() throws ConfigException {
        if (dispatcher == null) {
            return CoreSettings.defaults();
        }
        Integer concurrency = dispatcher.concurrency();
        if (concurrency != null && (concurrency < 1 || concurrency > CoreSettings.MAX_CONCURRENCY)) {
            throw new ConfigException("dispatcher.concurrency", "must be 1.." + CoreSettings.MAX_CONCURRENCY
                    + ", not " + concurrency);
        }
        Long bufferSize = dispatcher.bufferSize();
        if (bufferSize != null && (bufferSize < CoreSettings.PAGE_SIZE || bufferSize > CoreSettings.MAX_BUFFER_SIZE
                || bufferSize % CoreSettings.PAGE_SIZE != 0)) {
            throw new ConfigException("dispatcher.bufferSize", "must be a multiple of " + CoreSettings.PAGE_SIZE
                    + " between 4KiB and 64MiB, not " + bufferSize);
        }
        requirePositive("dispatcher.readDeadline", dispatcher.readDeadline());
        requirePositive("dispatcher.openDeadline", dispatcher.openDeadline());
        requirePositive("dispatcher.drainTimeout", dispatcher.drainTimeout());
        Integer prefetch = dispatcher.prefetchConcurrency();
        if (prefetch != null && (prefetch < 0 || prefetch > CoreSettings.MAX_CONCURRENCY)) {
            throw new ConfigException("dispatcher.prefetchConcurrency", "must be 0 (off).."
                    + CoreSettings.MAX_CONCURRENCY + ", not " + prefetch);
        }
        try {
            return dispatcher.toSettings();
        } catch (IllegalArgumentException e) {
            // The fetch policy's sizes depend on each other (read-ahead in whole units): its message names them.
            throw new ConfigException("dispatcher", e.getMessage());
        }
    }

    private static void requirePositive(String path, Duration value) throws ConfigException {
        if (value != null && value.isZero()) {
            throw new ConfigException(path, "must be longer than 0");
        }
    }
}
