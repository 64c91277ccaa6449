package dev.relay.protocol.dkim;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * One key that signs for {@code domain} ({@code d=}) under {@code selector} ({@code s=}), with the JCA provider
 * whose {@code Signature} uses it (the key object must be one that provider accepts).
 *
 * <p>It keeps a few {@code Signature} objects already initialised with the key: {@code initSign} costs as much as a
 * whole Ed25519 signature with Amazon Corretto Crypto Provider, which converts a JDK key object (it has no Ed25519
 * KeyFactory) into a native key on every call (9 us of 17; benchmarks/RESULTS.md, "DKIM: the work around the
 * signatures"), while a {@code Signature} is ready for the next message with the same key after {@code sign()}.
 * A pooled object belongs to the thread that took it until it is given back; the pool itself is lock-free (signing
 * runs on Reactor parallel threads) and holds at most {@link #POOLED} objects, which is more than the signing
 * threads that use one key at the same time.
 */
public final class DkimSigningKey {

    /** Idle initialised {@code Signature} objects kept; more at once are made and dropped. */
    static final int POOLED = 8;

    private final String domain;
    private final String selector;
    private final DkimAlgorithm algorithm;
    private final PrivateKey privateKey;
    private final Provider provider;
    private final ConcurrentLinkedQueue<Signature> idle = new ConcurrentLinkedQueue<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    public DkimSigningKey(String domain, String selector, DkimAlgorithm algorithm, PrivateKey privateKey,
            Provider provider) {
        this.domain = requireLabelText(domain, "domain").toLowerCase(Locale.ROOT);
        this.selector = requireLabelText(selector, "selector").toLowerCase(Locale.ROOT);
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.provider = Objects.requireNonNull(provider, "provider");
    }

    public String domain() {
        return domain;
    }

    public String selector() {
        return selector;
    }

    public DkimAlgorithm algorithm() {
        return algorithm;
    }

    public PrivateKey privateKey() {
        return privateKey;
    }

    public Provider provider() {
        return provider;
    }

    /** The signature of {@code data} (for Ed25519 already the SHA-256 to sign, RFC 8463) with this key. */
    byte[] sign(byte[] data) throws GeneralSecurityException {
        Signature signature = idle.poll();
        if (signature == null) {
            signature = Signature.getInstance(algorithm.jcaSignature(), provider);
            signature.initSign(privateKey);
        } else {
            idleCount.decrementAndGet();
        }
        signature.update(data);
        byte[] result = signature.sign();
        // only after a sign() that returned: the object is then back in its just-initialised state (a failed one
        // may be half-way through and is dropped)
        giveBack(signature);
        return result;
    }

    private void giveBack(Signature signature) {
        if (idleCount.incrementAndGet() <= POOLED) {
            idle.offer(signature);
        } else {
            idleCount.decrementAndGet();
        }
    }

    /** How many initialised {@code Signature} objects are idle (tests). */
    int idle() {
        return idleCount.get();
    }

    /** Domain and selector end up in a header field and a DNS name: letters, digits, '-', '_' and dots only. */
    static String requireLabelText(@Nullable String value, String what) {
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
