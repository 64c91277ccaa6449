package dev.relay.storage;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One row of {@code dkim_key} (schema V7). {@code algorithm} is the {@code a=} tag; {@code privateKey} is PKCS#8
 * DER, sealed when {@code encrypted} (the engine seals and opens it; storage never sees the key file);
 * {@code publicKey} is the SubjectPublicKeyInfo DER. The arrays are not copied: callers treat them as read-only.
 */
public record DkimKeyRecord(String domain, String selector, String algorithm, byte[] privateKey, boolean encrypted,
        byte[] publicKey, Instant activeFrom, @Nullable Instant activeUntil, @Nullable Instant publishedUntil,
        Instant created) {
    public DkimKeyRecord {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(selector, "selector");
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(publicKey, "publicKey");
        Objects.requireNonNull(activeFrom, "activeFrom");
        Objects.requireNonNull(created, "created");
    }

    /** Whether the key signs at {@code at}. */
    public boolean activeAt(Instant at) {
        return !at.isBefore(activeFrom) && (activeUntil == null || at.isBefore(activeUntil));
    }

    @Override
    public String toString() {
        // never the key bytes, not even sealed
        return "DkimKeyRecord[" + selector + "._domainkey." + domain + ", " + algorithm + ", from " + activeFrom
                + (activeUntil == null ? "" : " until " + activeUntil) + "]";
    }
}
