package dev.relay.protocol.dkim;

import java.security.PrivateKey;
import java.security.Provider;
import java.util.Locale;
import java.util.Objects;

/**
 * One key that signs for {@code domain} ({@code d=}) under {@code selector} ({@code s=}), with the JCA provider
 * whose {@code Signature} uses it (the key object must be one that provider accepts).
 */
public record DkimSigningKey(String domain, String selector, DkimAlgorithm algorithm, PrivateKey privateKey,
        Provider provider) {
    public DkimSigningKey {
        domain = requireLabelText(domain, "domain").toLowerCase(Locale.ROOT);
        selector = requireLabelText(selector, "selector").toLowerCase(Locale.ROOT);
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(provider, "provider");
    }

    /** Domain and selector end up in a header field and a DNS name: letters, digits, '-', '_' and dots only. */
    static String requireLabelText(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isEmpty() || value.length() > 253 || value.startsWith(".") || value.endsWith(".")
                || value.contains("..")) {
            throw new IllegalArgumentException(what + " is not a DNS name: " + value);
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                    || c == '_' || c == '.';
            if (!ok) {
                throw new IllegalArgumentException(what + " is not a DNS name: " + value);
            }
        }
        return value;
    }

    @Override
    public String toString() {
        return "DkimSigningKey[" + selector + "._domainkey." + domain + ", " + algorithm.tag() + "]";
    }
}
