package dev.ondemandd.fetchers.oci;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How long a redirect to object storage may be reused. Pre-signed URLs say when they expire: S3 and GCS V4
 * with {@code X-Amz-Date}/{@code X-Goog-Date} plus {@code ...-Expires} seconds, CloudFront and GCS V2 with
 * {@code Expires} in epoch seconds. A URL that says nothing is reused for {@link #DEFAULT_TTL}; none is
 * reused past {@link #MAX_TTL}, and each stops {@link #SAFETY_MARGIN} before its stated end.
 */
final class RedirectExpiry {

    static final Duration DEFAULT_TTL = Duration.ofSeconds(60);
    static final Duration MAX_TTL = Duration.ofMinutes(10);
    static final Duration SAFETY_MARGIN = Duration.ofSeconds(10);
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    /** Query strings longer than this are not parsed for an expiry. */
    private static final int MAX_QUERY = 16 * 1024;

    private RedirectExpiry() {
    }

    /** When to stop reusing {@code uri}, received at {@code now}. */
    static Instant of(URI uri, Instant now) {
        Instant cap = now.plus(MAX_TTL);
        Instant stated = stated(uri);
        if (stated == null) {
            return now.plus(DEFAULT_TTL);
        }
        Instant end = stated.minus(SAFETY_MARGIN);
        return end.isAfter(cap) ? cap : end;
    }

    private static Instant stated(URI uri) {
        String q = uri.getRawQuery();
        if (q == null || q.length() > MAX_QUERY) {
            return null;
        }
        Map<String, String> params = new HashMap<>();
        for (String pair : q.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(pair.substring(0, eq).toLowerCase(Locale.ROOT),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        try {
            for (String vendor : new String[] {"x-amz-", "x-goog-"}) {
                String date = params.get(vendor + "date");
                String expires = params.get(vendor + "expires");
                if (date != null && expires != null) {
                    return LocalDateTime.parse(date, AMZ_DATE).toInstant(ZoneOffset.UTC)
                            .plusSeconds(Long.parseLong(expires));
                }
            }
            String epoch = params.get("expires");
            if (epoch != null) {
                return Instant.ofEpochSecond(Long.parseLong(epoch));
            }
        } catch (java.time.DateTimeException | NumberFormatException | ArithmeticException e) {
            // An expiry we cannot read: treat the URL as good for a single use.
            return Instant.EPOCH;
        }
        return null;
    }
}
