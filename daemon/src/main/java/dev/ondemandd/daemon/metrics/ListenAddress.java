package dev.ondemandd.daemon.metrics;

import java.net.InetSocketAddress;

/**
 * A {@code host:port} to listen on, as the configuration's {@code "metrics": {"listen": ...}} gives it:
 * {@code 127.0.0.1:9477}, {@code [::1]:9477}, {@code localhost:9477}, or {@code :9477} for every address;
 * port 0 takes a free port (tests).
 */
public final class ListenAddress {

    private ListenAddress() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with what a valid value looks like
     */
    public static InetSocketAddress parse(String text) {
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon < 0) {
            throw invalid(text);
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
        if (port < 0 || port > 65535) {
            throw invalid(text);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":") || host.contains("[") || host.contains("]")) {
            throw invalid(text);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException("listen address must be HOST:PORT with a port 0-65535 (0: any free port)"
                + " (127.0.0.1:9477, [::1]:9477, :9477), not " + text);
    }
}
