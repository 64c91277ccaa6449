package dev.relay.protocol.dkim;

import java.util.Locale;
import java.util.Optional;

/**
 * The two signing algorithms a relay should offer (RFC 8301 retired rsa-sha1; RFC 8463 added Ed25519), in the order
 * a dual-signed message carries them.
 */
public enum DkimAlgorithm {
    /** PureEdDSA over the SHA-256 of the canonical data (RFC 8463 section 3); the key in DNS is the raw 32 bytes. */
    ED25519_SHA256("ed25519-sha256", "ed25519", "Ed25519", "Ed25519"),
    /** RSA with SHA-256 over the canonical data; the key in DNS is a SubjectPublicKeyInfo. */
    RSA_SHA256("rsa-sha256", "rsa", "SHA256withRSA", "RSA");

    private final String tag;
    private final String keyType;
    private final String jcaSignature;
    private final String jcaKey;

    DkimAlgorithm(String tag, String keyType, String jcaSignature, String jcaKey) {
        this.tag = tag;
        this.keyType = keyType;
        this.jcaSignature = jcaSignature;
        this.jcaKey = jcaKey;
    }

    /** The {@code a=} value of the signature. */
    public String tag() {
        return tag;
    }

    /** The {@code k=} value of the DNS record, also the short name used by the CLI and the database. */
    public String keyType() {
        return keyType;
    }

    /** The JCA {@code Signature} algorithm name. */
    public String jcaSignature() {
        return jcaSignature;
    }

    /** The JCA {@code KeyFactory} / {@code KeyPairGenerator} algorithm name. */
    public String jcaKey() {
        return jcaKey;
    }

    /** By its short name ({@code rsa}, {@code ed25519}) or its tag ({@code rsa-sha256}, {@code ed25519-sha256}). */
    public static Optional<DkimAlgorithm> byName(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (DkimAlgorithm algorithm : values()) {
            if (algorithm.keyType.equals(lower) || algorithm.tag.equals(lower)) {
                return Optional.of(algorithm);
            }
        }
        return Optional.empty();
    }
}
