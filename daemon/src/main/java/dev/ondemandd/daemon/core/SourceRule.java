package dev.ondemandd.daemon.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One entry of the configuration's {@code sources}: objects whose volume and cookie keys match the globs
 * are fetched from {@code url}, in which {@code {volume}} and {@code {cookie}} are replaced by the keys.
 *
 * <p>A key substituted into a URL is refused when it could leave the directory the template names or
 * smuggle bytes into a request: a {@code /} or {@code \}, {@code ..}, an empty key, NUL or another control
 * character. Everything outside the URI's unreserved and sub-delimiter characters is percent-encoded.
 */
public record SourceRule(Glob volume, Glob cookie, String urlTemplate) {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([^{}]*)}");
    private static final String VOLUME = "volume";
    private static final String COOKIE = "cookie";

    public SourceRule {
        Matcher m = PLACEHOLDER.matcher(urlTemplate);
        while (m.find()) {
            if (!m.group(1).equals(VOLUME) && !m.group(1).equals(COOKIE)) {
                throw new IllegalArgumentException("unknown placeholder {" + m.group(1)
                        + "} in URL (only {volume} and {cookie} exist)");
            }
        }
        URI sample;
        try {
            sample = new URI(PLACEHOLDER.matcher(urlTemplate).replaceAll("x"));
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a URL: " + e.getMessage(), e);
        }
        if (sample.getScheme() == null) {
            throw new IllegalArgumentException("URL has no scheme (e.g. file:///srv/blobs/{cookie}): " + urlTemplate);
        }
    }

    public static SourceRule of(String volumeGlob, String cookieGlob, String urlTemplate) {
        return new SourceRule(Glob.of(volumeGlob), Glob.of(cookieGlob), urlTemplate);
    }

    /** The template's scheme, lower case. */
    public String scheme() {
        return URI.create(PLACEHOLDER.matcher(urlTemplate).replaceAll("x")).getScheme().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean matches(ObjectKey key) {
        return volume.matches(key.volume()) && cookie.matches(key.cookieText());
    }

    /**
     * The URL for {@code key}, or empty when a key the template uses is unsafe to put into a URL.
     */
    public Optional<URI> expand(ObjectKey key) {
        Matcher m = PLACEHOLDER.matcher(urlTemplate);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = m.group(1).equals(VOLUME) ? key.volume() : key.cookieText();
            if (!isSafe(value)) {
                return Optional.empty();
            }
            m.appendReplacement(out, Matcher.quoteReplacement(percentEncode(value)));
        }
        m.appendTail(out);
        try {
            return Optional.of(new URI(out.toString()));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code value} can be substituted without leaving the template's directory. */
    static boolean isSafe(String value) {
        if (value.isEmpty() || value.contains("..") || value.equals(".")) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    static String percentEncode(String value) {
        StringBuilder out = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~:@!$&'()*+,;=".indexOf(c) >= 0) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
