package dev.relay.engine.config;

import java.util.Objects;

/** A host (name, IPv4 or IPv6 literal without brackets) and a port 0..65535 (0: any free port, for tests). */
public record HostPort(String host, int port) {
    public HostPort {
        Objects.requireNonNull(host, "host");
        if (host.isBlank() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("host must not be empty or contain spaces");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
        }
    }

    /** Parses {@code host:port} or {@code [v6]:port}. */
    public static HostPort parse(String text) {
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("expected [ipv6]:port");
            }
            host = s.substring(1, close);
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("expected host:port");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException("IPv6 addresses must be written as [address]:port");
            }
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("port must be a number between 0 and 65535");
        }
        return new HostPort(host, Integer.parseInt(port));
    }

    /** A nameserver: {@code host}, {@code host:port} or {@code [v6]:port}; the port defaults to 53. */
    public static HostPort parseDns(String text) {
        String s = text.strip();
        boolean hasPort = s.startsWith("[") || (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':'));
        return hasPort ? parse(s) : new HostPort(s, 53);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
