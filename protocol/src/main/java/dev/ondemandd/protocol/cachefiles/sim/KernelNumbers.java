package dev.ondemandd.protocol.cachefiles.sim;

import dev.ondemandd.protocol.nativeio.Errno;

/**
 * kstrtoul()/kstrtol() with base 0, as cachefiles_ondemand_copen() parses its arguments: an optional sign
 * ({@code +} only for the unsigned one), {@code 0x} for hex, a leading {@code 0} for octal, at least one digit,
 * nothing after (one trailing newline allowed); EINVAL for a malformed number, ERANGE for one that overflows.
 */
final class KernelNumbers {

    /** A number the kernel would refuse, with its errno. */
    static final class ParseError extends Exception {
        final int errno;

        ParseError(int errno) {
            super(Errno.name(errno), null, false, false);
            this.errno = errno;
        }
    }

    private KernelNumbers() {
    }

    /** kstrtoul(s, 0): unsigned 64-bit, returned as its bits. */
    static long kstrtoul(String s) throws ParseError {
        String t = trimNewline(s);
        if (t.startsWith("+")) {
            t = t.substring(1);
        }
        return parseUnsigned(t);
    }

    /** kstrtol(s, 0): signed 64-bit. */
    static long kstrtol(String s) throws ParseError {
        String t = trimNewline(s);
        boolean negative = t.startsWith("-");
        if (negative || t.startsWith("+")) {
            t = t.substring(1);
        }
        long magnitude = parseUnsigned(t);
        if (negative) {
            if (Long.compareUnsigned(magnitude, Long.MIN_VALUE) > 0) {
                throw new ParseError(Errno.ERANGE);
            }
            return -magnitude;
        }
        if (magnitude < 0) {
            throw new ParseError(Errno.ERANGE);
        }
        return magnitude;
    }

    private static String trimNewline(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static long parseUnsigned(String t) throws ParseError {
        int radix = 10;
        String digits = t;
        if (t.length() > 1 && t.charAt(0) == '0' && (t.charAt(1) == 'x' || t.charAt(1) == 'X')) {
            radix = 16;
            digits = t.substring(2);
        } else if (t.length() > 1 && t.charAt(0) == '0') {
            radix = 8;
            digits = t.substring(1);
        }
        if (digits.isEmpty()) {
            throw new ParseError(Errno.EINVAL);
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = Character.digit(digits.charAt(i), radix);
            if (d < 0 || digits.charAt(i) > 0x7f) {
                throw new ParseError(Errno.EINVAL);
            }
            long next = value * radix + d;
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L, radix)) > 0
                    || Long.compareUnsigned(next, value * radix) < 0) {
                throw new ParseError(Errno.ERANGE);
            }
            value = next;
        }
        return value;
    }
}
