package dev.ondemandd.daemon.core;

import java.util.regex.Pattern;

/** A shell-style glob over a whole string: {@code *} any run of characters, {@code ?} one, the rest literal. */
public record Glob(String pattern, Pattern compiled) {

    public Glob {
        if (pattern == null || compiled == null) {
            throw new NullPointerException("pattern");
        }
    }

    public static Glob of(String pattern) {
        StringBuilder regex = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' || c == '?') {
                if (!literal.isEmpty()) {
                    regex.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                regex.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (!literal.isEmpty()) {
            regex.append(Pattern.quote(literal.toString()));
        }
        return new Glob(pattern, Pattern.compile(regex.toString(), Pattern.DOTALL));
    }

    public boolean matches(String text) {
        return compiled.matcher(text).matches();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
