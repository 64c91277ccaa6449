package dev.relay.engine.config;

import java.util.Objects;

/**
 * A static next hop: {@code host:port} optionally followed by {@code tls=opportunistic|required|disabled} and
 * {@code verify=true|false} (certificate verification against the JDK trust store and the host name), e.g.
 * {@code "smarthost.example.net:587 tls=required verify=true"}. Defaults: opportunistic, no verification (as for MX
 * delivery, where most certificates do not match).
 */
public record RouteTarget(HostPort target, TlsMode tls, boolean verifyCertificate) {
    public RouteTarget {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(tls, "tls");
        if (verifyCertificate && tls == TlsMode.DISABLED) {
            throw new IllegalArgumentException("verify=true needs TLS; tls is disabled");
        }
    }

    public static RouteTarget parse(String text) {
        String[] words = text.strip().split("\\s+");
        HostPort target = HostPort.parse(words[0]);
        TlsMode tls = TlsMode.OPPORTUNISTIC;
        boolean verify = false;
        for (int i = 1; i < words.length; i++) {
            String w = words[i];
            if (w.startsWith("tls=")) {
                tls = TlsMode.parse(w.substring(4));
            } else if (w.equals("verify=true") || w.equals("verify=false")) {
                verify = w.endsWith("true");
            } else {
                throw new IllegalArgumentException("unknown option '" + w + "'; expected tls=... or verify=true|false");
            }
        }
        return new RouteTarget(target, tls, verify);
    }

    @Override
    public String toString() {
        return target + " tls=" + tls + (verifyCertificate ? " verify=true" : "");
    }
}
