package dev.relay.engine.outcomes;

import dev.relay.storage.MessageId;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What a VERP token (or a bounce address) says, decided once: only {@link Valid} may be linked to a message. The
 * others are counted, never linked; none carries the token's claimed fields, so nothing downstream can be tempted.
 */
public sealed interface VerpResult {
    /** Signed by a listed key and younger than {@code max_age}. */
    record Valid(MessageId messageId, int recipientIndex, Instant issuedAt, int keyId) implements VerpResult {
        public Valid {
            Objects.requireNonNull(messageId, "messageId");
            Objects.requireNonNull(issuedAt, "issuedAt");
        }
    }

    /** Well-formed, but the MAC does not verify or its key id is not listed (a forgery, a typo, a retired key). */
    record Forged(String reason) implements VerpResult {
        public Forged {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Not a token of ours at all: wrong length, characters, version, domain or prefix. */
    record Malformed(String reason) implements VerpResult {
        public Malformed {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Authentic but older than {@code max_age}: a late bounce, or a replay of an old one. */
    record Expired(Duration age) implements VerpResult {
        public Expired {
            Objects.requireNonNull(age, "age");
        }
    }
}
