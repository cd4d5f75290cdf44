package dev.ondemandd.daemon.config;

/**
 * One entry of {@code sources}: objects whose volume key and cookie key match these globs are fetched from
 * {@code url} ({@code {volume}} and {@code {cookie}} are substituted). Globs default to {@code *}.
 */
public record SourceConfig(String volume, String cookie, String url) {

    public SourceConfig {
        if (volume == null) {
            volume = "*";
        }
        if (cookie == null) {
            cookie = "*";
        }
    }
}
