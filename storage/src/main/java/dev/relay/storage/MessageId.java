package dev.relay.storage;

import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.UUID;

/**
 * A message's id: a UUIDv7 (48-bit Unix milliseconds, then random bits), so ids sort by acceptance
 * time. {@link #toString()} is the 26-character Crockford base32 form of the 128 bits (the queue id
 * shown in {@code 250 2.0.0 Ok: queued as <id>}); its lexical order is the id's order.
 */
public record MessageId(UUID uuid) implements Comparable<MessageId> {
    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
    private static final int LENGTH = 26;

    public MessageId {
        Objects.requireNonNull(uuid, "uuid");
    }

    public static MessageId newId() {
        return at(System.currentTimeMillis());
    }

    static MessageId at(long unixMillis) {
        // ThreadLocalRandom: never blocks (SecureRandom may read /dev/urandom on an event loop);
        // the id is an identifier, not a secret
        ThreadLocalRandom rng = ThreadLocalRandom.current();
        long randA = rng.nextLong();
        long randB = rng.nextLong();
        long msb = (unixMillis << 16) | 0x7000L | (randA & 0x0FFFL);
        long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new MessageId(new UUID(msb, lsb));
    }

    /**
     * An id derived from {@code base} and {@code key} alone, the same on every node and every retry: a message
     * stored under it twice is refused by the primary key (an idempotent notice). It carries {@code base}'s time.
     */
    public static MessageId derived(MessageId base, String key) {
        byte[] hash;
        try {
            hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest((base.uuid + "/" + key).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(hash);
        long msb = (base.unixMillis() << 16) | 0x7000L | (b.getLong() & 0x0FFFL);
        long lsb = (b.getLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new MessageId(new UUID(msb, lsb));
    }

    /** Milliseconds since the epoch encoded in a v7 id. */
    public long unixMillis() {
        return uuid.getMostSignificantBits() >>> 16;
    }

    public static MessageId parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() != LENGTH) {
            throw new IllegalArgumentException("message id must be " + LENGTH + " characters: " + text);
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < LENGTH; i++) {
            int v = decode(text.charAt(i));
            if (i == 0 && v > 7) {
                throw new IllegalArgumentException("message id out of range: " + text);
            }
            // shift the 128-bit (hi, lo) left by 5 and add v
            hi = (hi << 5) | (lo >>> 59);
            lo = (lo << 5) | v;
        }
        return new MessageId(new UUID(hi, lo));
    }

    private static int decode(char c) {
        char u = Character.toUpperCase(c);
        switch (u) {
            case 'O': return 0;
            case 'I': case 'L': return 1;
            default:
                for (int i = 0; i < ALPHABET.length; i++) {
                    if (ALPHABET[i] == u) {
                        return i;
                    }
                }
                throw new IllegalArgumentException("invalid character in message id: " + c);
        }
    }

    @Override
    public String toString() {
        long hi = uuid.getMostSignificantBits();
        long lo = uuid.getLeastSignificantBits();
        char[] out = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) {
            out[i] = ALPHABET[(int) (lo & 31)];
            lo = (lo >>> 5) | (hi << 59);
            hi = hi >>> 5;
        }
        return new String(out);
    }

    @Override
    public int compareTo(MessageId o) {
        int c = Long.compareUnsigned(uuid.getMostSignificantBits(), o.uuid.getMostSignificantBits());
        return c != 0 ? c : Long.compareUnsigned(uuid.getLeastSignificantBits(), o.uuid.getLeastSignificantBits());
    }
}
