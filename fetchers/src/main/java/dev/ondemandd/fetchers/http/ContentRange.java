package dev.ondemandd.fetchers.http;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * A parsed {@code Content-Range} header (RFC 9110 §14.4): {@code bytes first-last/complete}, where the
 * complete length may be {@code *} (unknown), or {@code bytes *}{@code /complete} in a 416 answer.
 *
 * @param first the first byte's offset, or -1 for an unsatisfied range
 * @param last the last byte's offset (inclusive), or -1 for an unsatisfied range
 * @param total the complete length, or -1 when the server said {@code *}
 */
public record ContentRange(long first, long last, long total) {

    /** Digits enough for any long; a longer number is refused before it is parsed. */
    private static final int MAX_DIGITS = 18;

    /** Parses a header value; empty when it is not a well-formed byte range. */
    public static Optional<ContentRange> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        String v = value.trim();
        if (!v.regionMatches(true, 0, "bytes ", 0, 6)) {
            return Optional.empty();
        }
        v = v.substring(6).trim();
        int slash = v.indexOf('/');
        if (slash < 0) {
            return Optional.empty();
        }
        String range = v.substring(0, slash);
        String complete = v.substring(slash + 1);
        long total;
        if (complete.equals("*")) {
            total = -1;
        } else {
            OptionalLong t = number(complete);
            if (t.isEmpty()) {
                return Optional.empty();
            }
            total = t.getAsLong();
        }
        if (range.equals("*")) {
            return total < 0 ? Optional.empty() : Optional.of(new ContentRange(-1, -1, total));
        }
        int dash = range.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        OptionalLong first = number(range.substring(0, dash));
        OptionalLong last = number(range.substring(dash + 1));
        if (first.isEmpty() || last.isEmpty() || last.getAsLong() < first.getAsLong()
                || (total >= 0 && last.getAsLong() >= total)) {
            return Optional.empty();
        }
        return Optional.of(new ContentRange(first.getAsLong(), last.getAsLong(), total));
    }

    private static OptionalLong number(String s) {
        if (s.isEmpty() || s.length() > MAX_DIGITS) {
            return OptionalLong.empty();
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.of(Long.parseLong(s));
    }

    /** The number of bytes in the range. */
    public long length() {
        return first < 0 ? 0 : last - first + 1;
    }
}
