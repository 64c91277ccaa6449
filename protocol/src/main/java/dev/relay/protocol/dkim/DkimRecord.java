package dev.relay.protocol.dkim;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The DNS TXT record that publishes a public key (RFC 6376 section 3.6.1, RFC 8463 section 4): name
 * {@code selector._domainkey.domain}, value {@code v=DKIM1; k=...; p=...}. An RSA value is longer than the 255
 * octets one character-string holds, so {@link #strings()} splits it; resolvers join the strings back.
 */
public record DkimRecord(String name, String value) {

    /** The length of a DNS character-string (RFC 1035 section 3.3). */
    public static final int STRING_LIMIT = 255;

    /** Ed25519 SubjectPublicKeyInfo: a fixed 12-byte prefix, then the raw 32-byte key that DKIM publishes. */
    private static final int ED25519_SPKI_PREFIX = 12;

    public static DkimRecord of(String domain, String selector, DkimAlgorithm algorithm, PublicKey publicKey) {
        byte[] encoded = publicKey.getEncoded();
        byte[] published = algorithm == DkimAlgorithm.ED25519_SHA256
                ? Arrays.copyOfRange(encoded, ED25519_SPKI_PREFIX, encoded.length)
                : encoded;
        String value = "v=DKIM1; k=" + algorithm.keyType() + "; p=" + Base64.getEncoder().encodeToString(published);
        return new DkimRecord(DkimSigningKey.requireLabelText(selector, "selector") + "._domainkey."
                + DkimSigningKey.requireLabelText(domain, "domain"), value);
    }

    /** The value in character-strings of at most {@link #STRING_LIMIT} octets. */
    public List<String> strings() {
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < value.length(); i += STRING_LIMIT) {
            strings.add(value.substring(i, Math.min(value.length(), i + STRING_LIMIT)));
        }
        return strings;
    }

    /** The record as a zone file line: {@code name. IN TXT ( "..." "..." )}. */
    public String zoneLine() {
        StringBuilder line = new StringBuilder(name).append(". IN TXT (");
        for (String string : strings()) {
            line.append(" \"").append(string).append('"');
        }
        return line.append(" )").toString();
    }
}
