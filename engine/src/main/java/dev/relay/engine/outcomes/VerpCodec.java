package dev.relay.engine.outcomes;

import dev.relay.protocol.Mailbox;
import dev.relay.storage.MessageId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * VERP tokens: the envelope sender of one delivery, {@code <prefix><token>@<bounce domain>}, names the message and
 * the recipient, so a bounce that arrives later (to that address) can be linked back to them.
 *
 * <p>A token is 33 bytes in lower-case base32 (RFC 4648 alphabet {@code a-z2-7}, no padding: 53 characters of RFC
 * 5321 atext that survive an MTA that changes their case): a version (3 bits) and key id (5 bits), the issue time
 * (unsigned 32-bit epoch seconds), the message id (16 bytes), the recipient's index in the message (16 bits), and an
 * HMAC-SHA256 over all of that, truncated to 80 bits, so a token can be neither forged nor enumerated. Decoding
 * hostile input never throws and compares MACs in constant time.
 *
 * <p>Immutable and thread-safe: a {@link Mac} is made per call (a few microseconds; Mac objects are not shareable).
 */
public final class VerpCodec {
    /** Characters in a token. */
    public static final int TOKEN_LENGTH = 53;
    /** Recipients per message a token can name. */
    public static final int MAX_RECIPIENT_INDEX = 0xFFFF;

    private static final int VERSION = 1;
    private static final int DATA_BYTES = 1 + 4 + 16 + 2;
    private static final int MAC_BYTES = 10;
    private static final int TOKEN_BYTES = DATA_BYTES + MAC_BYTES;
    private static final byte[] CONTEXT = "relay-verp-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

    private final VerpSettings settings;
    private final Clock clock;

    public VerpCodec(VerpSettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public VerpSettings settings() {
        return settings;
    }

    /** A token for recipient {@code recipientIndex} (0-based) of {@code messageId}, issued now. */
    public String encode(MessageId messageId, int recipientIndex) {
        return encode(messageId, recipientIndex, clock.instant());
    }

    /** A token issued at {@code issuedAt} (kept to the second), signed with the active key. */
    public String encode(MessageId messageId, int recipientIndex, Instant issuedAt) {
        Objects.requireNonNull(messageId, "messageId");
        if (recipientIndex < 0 || recipientIndex > MAX_RECIPIENT_INDEX) {
            throw new IllegalArgumentException("recipient index 0 to " + MAX_RECIPIENT_INDEX + ", was " + recipientIndex);
        }
        long seconds = issuedAt.getEpochSecond();
        if (seconds < 0 || seconds > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("issue time outside 1970 to 2106: " + issuedAt);
        }
        VerpKey key = settings.activeKey();
        ByteBuffer b = ByteBuffer.allocate(TOKEN_BYTES);
        b.put((byte) (VERSION << 5 | key.id()));
        b.putInt((int) seconds);
        UUID uuid = messageId.uuid();
        b.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
        b.putShort((short) recipientIndex);
        byte[] bytes = b.array();
        System.arraycopy(mac(key, bytes), 0, bytes, DATA_BYTES, MAC_BYTES);
        return base32(bytes);
    }

    /** The bounce address for a delivery: {@code <prefix><token>@<domain>}. */
    public Mailbox address(MessageId messageId, int recipientIndex) {
        return new Mailbox(settings.prefix() + encode(messageId, recipientIndex), settings.domain());
    }

    /** Decodes a token (any case). Never throws on any input. */
    public VerpResult decode(CharSequence token) {
        if (token.length() != TOKEN_LENGTH) {
            return new VerpResult.Malformed("a token has " + TOKEN_LENGTH + " characters, this one "
                    + Math.min(token.length(), 10_000));
        }
        byte[] bytes = unbase32(token);
        if (bytes == null) {
            return new VerpResult.Malformed("not lower-case base32");
        }
        if ((bytes[0] & 0xFF) >>> 5 != VERSION) {
            return new VerpResult.Malformed("unknown token version " + ((bytes[0] & 0xFF) >>> 5));
        }
        int keyId = bytes[0] & 0x1F;
        VerpKey key = settings.key(keyId);
        if (key == null) {
            return new VerpResult.Forged("key id " + keyId + " is not listed");
        }
        byte[] expected = Arrays.copyOf(mac(key, bytes), MAC_BYTES);
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(bytes, DATA_BYTES, TOKEN_BYTES))) {
            return new VerpResult.Forged("MAC does not verify");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, DATA_BYTES - 1);
        Instant issuedAt = Instant.ofEpochSecond(b.getInt() & 0xFFFF_FFFFL);
        MessageId messageId = new MessageId(new UUID(b.getLong(), b.getLong()));
        int recipientIndex = b.getShort() & 0xFFFF;
        Duration age = Duration.between(issuedAt, clock.instant());
        if (age.compareTo(settings.maxAge()) > 0) {
            return new VerpResult.Expired(age);
        }
        return new VerpResult.Valid(messageId, recipientIndex, issuedAt, keyId);
    }

    /**
     * Decodes a bounce address: the domain must be the bounce domain and the local part start with the prefix (both
     * compared ignoring ASCII case). Never throws.
     */
    public VerpResult decode(Mailbox address) {
        if (!address.domain().equalsIgnoreCase(settings.domain())) {
            return new VerpResult.Malformed("not the bounce domain");
        }
        String local = address.localPart();
        String prefix = settings.prefix();
        if (!local.regionMatches(true, 0, prefix, 0, prefix.length())) {
            return new VerpResult.Malformed("local part lacks the prefix");
        }
        return decode(local.substring(prefix.length()));
    }

    private static byte[] mac(VerpKey key, byte[] token) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.secretUnsafe(), "HmacSHA256"));
            mac.update(CONTEXT);
            mac.update(token, 0, DATA_BYTES);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    static String base32(byte[] bytes) {
        StringBuilder out = new StringBuilder((bytes.length * 8 + 4) / 5);
        int buffer = 0;
        int bits = 0;
        for (byte value : bytes) {
            buffer = buffer << 8 | value & 0xFF;
            bits += 8;
            while (bits >= 5) {
                out.append(ALPHABET[buffer >>> (bits - 5) & 0x1F]);
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(ALPHABET[buffer << (5 - bits) & 0x1F]);
        }
        return out.toString();
    }

    /** The bytes, or null for a character outside the alphabet or non-zero padding bits (one spelling per token). */
    static byte @org.jspecify.annotations.Nullable [] unbase32(CharSequence text) {
        byte[] out = new byte[text.length() * 5 / 8];
        int buffer = 0;
        int bits = 0;
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int v;
            if (c >= 'a' && c <= 'z') {
                v = c - 'a';
            } else if (c >= 'A' && c <= 'Z') {
                v = c - 'A';
            } else if (c >= '2' && c <= '7') {
                v = c - '2' + 26;
            } else {
                return null;
            }
            buffer = (buffer << 5 | v) & 0xFFF;
            bits += 5;
            if (bits >= 8) {
                out[n++] = (byte) (buffer >>> (bits - 8));
                bits -= 8;
            }
        }
        return (buffer & ((1 << bits) - 1)) == 0 ? out : null;
    }
}
