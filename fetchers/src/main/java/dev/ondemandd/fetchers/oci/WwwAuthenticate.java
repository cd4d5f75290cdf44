package dev.ondemandd.fetchers.oci;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 9110 §11.6.1), e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry",scope="repository:a/b:pull,push"}.
 *
 * @param scheme lower case ({@code basic}, {@code bearer})
 * @param params auth-params, names lower case, quoted values unquoted
 */
public record WwwAuthenticate(String scheme, Map<String, String> params) {

    /** A header longer than this is not a challenge but an attack. */
    private static final int MAX_LENGTH = 4096;

    /** Parses the first challenge of a header value; empty when it is malformed. */
    public static Optional<WwwAuthenticate> parse(String header) {
        if (header == null || header.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        String h = header.trim();
        int sp = h.indexOf(' ');
        String scheme = (sp < 0 ? h : h.substring(0, sp)).toLowerCase(Locale.ROOT);
        if (scheme.isEmpty()) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        int i = sp < 0 ? h.length() : sp + 1;
        while (i < h.length()) {
            while (i < h.length() && (h.charAt(i) == ' ' || h.charAt(i) == ',')) {
                i++;
            }
            int eq = h.indexOf('=', i);
            if (eq < 0) {
                break;
            }
            String name = h.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            StringBuilder value = new StringBuilder();
            if (i < h.length() && h.charAt(i) == '"') {
                i++;
                while (i < h.length() && h.charAt(i) != '"') {
                    if (h.charAt(i) == '\\' && i + 1 < h.length()) {
                        i++;
                    }
                    value.append(h.charAt(i++));
                }
                if (i >= h.length()) {
                    return Optional.empty();
                }
                i++;
            } else {
                while (i < h.length() && h.charAt(i) != ',') {
                    value.append(h.charAt(i++));
                }
            }
            if (name.isEmpty() || name.indexOf(' ') >= 0) {
                return Optional.empty();
            }
            params.put(name, value.toString().trim());
        }
        return Optional.of(new WwwAuthenticate(scheme, Map.copyOf(params)));
    }

    public Optional<String> param(String name) {
        return Optional.ofNullable(params.get(name));
    }
}
