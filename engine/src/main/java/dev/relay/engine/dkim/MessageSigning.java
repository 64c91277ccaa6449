package dev.relay.engine.dkim;

import dev.relay.engine.config.DkimConfig;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.dkim.DkimSigner;
import dev.relay.protocol.dkim.DkimSigningKey;
import dev.relay.protocol.dkim.HeaderSection;
import io.netty.buffer.ByteBuf;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Decides and makes the DKIM signatures of one accepted message: the keys of its header From domain, else (for an
 * authenticated submission) the {@link FallbackDomain}'s, else the {@code dkim.missing_key} policy, which refuses
 * only authenticated submissions (relayed mail without AUTH is sent unsigned). CPU work (the body hash and the
 * private-key operations): callers run it off the event loop. Immutable and thread-safe.
 */
public final class MessageSigning {

    /** A domain is at most 253 octets; longer text from the From field is not a domain we could have a key for. */
    private static final int MAX_DOMAIN = 253;

    /** What became of the message. */
    public sealed interface Outcome {
    }

    /** {@code fields}: the DKIM-Signature fields to put on top of the message. */
    public record Signed(byte[] fields, String domain, List<String> selectors) implements Outcome {
    }

    /** Sent without a signature; {@code why} is for the log line. */
    public record Unsigned(String why) implements Outcome {
    }

    /** Refused before the COMMIT: {@code reply} names the domain. */
    public record Refused(SmtpReply reply, String domain) implements Outcome {
    }

    /**
     * The hook for "sign as the system's first domain" ({@code dkim: sign_as_system_domain} of a connected system):
     * the domain whose keys sign an authenticated user's message when its From domain has none, or null.
     */
    @FunctionalInterface
    public interface FallbackDomain {
        FallbackDomain NONE = user -> null;

        @Nullable String domainFor(String user);
    }

    /** Signs nothing and refuses nothing: the relay without DKIM (tests of other parts). */
    public static final MessageSigning OFF = new MessageSigning(null, DkimConfig.MissingKey.SEND_UNSIGNED,
            FallbackDomain.NONE);

    private final @Nullable DkimKeyring keyring;
    private final DkimConfig.MissingKey missingKey;
    private final FallbackDomain fallback;

    public MessageSigning(@Nullable DkimKeyring keyring, DkimConfig.MissingKey missingKey, FallbackDomain fallback) {
        this.keyring = keyring;
        this.missingKey = Objects.requireNonNull(missingKey, "missingKey");
        this.fallback = Objects.requireNonNull(fallback, "fallback");
    }

    /**
     * Whether {@link #sign} could sign or refuse a message submitted by {@code user} (null: not authenticated). False
     * when there is no key at all and the policy would not refuse this submission for want of one: the outcome is
     * then {@link Unsigned} whatever the header says, known without reading it, so the caller need not hand the
     * message to a signing thread (a thread hop per message on a relay that has no keys).
     */
    public boolean mayAct(@Nullable String user) {
        return keyring != null
                && (!keyring.isEmpty() || (user != null && missingKey == DkimConfig.MissingKey.REFUSE));
    }

    /**
     * The outcome for the readable bytes of {@code message} (the final header and body), submitted by {@code user}
     * (null: not authenticated), at {@code now}.
     *
     * @throws GeneralSecurityException when a provider refuses a key (a temporary failure for the client)
     */
    public Outcome sign(ByteBuf message, @Nullable String user, Instant now) throws GeneralSecurityException {
        if (keyring == null) {
            return new Unsigned("DKIM off");
        }
        HeaderSection header = HeaderSection.parse(message);
        String domain = fromDomain(header.firstValue("from"));
        String signingDomain = domain;
        List<DkimSigningKey> keys = domain == null ? List.of() : keyring.signing(domain, now);
        if (keys.isEmpty() && user != null) {
            String other = fallback.domainFor(user);
            if (other != null) {
                signingDomain = other;
                keys = keyring.signing(other, now);
            }
        }
        if (keys.isEmpty()) {
            String shown = domain == null ? "(none)" : domain;
            if (user != null && missingKey == DkimConfig.MissingKey.REFUSE) {
                return new Refused(SmtpReply.of(550, "5.7.1", domain == null
                        ? "Message refused: no header From domain to sign for (DKIM)"
                        : "Message refused: no active DKIM key for sender domain " + domain), shown);
            }
            return new Unsigned("no active DKIM key for " + shown);
        }
        byte[] fields = DkimSigner.sign(message, header, keys, now, null);
        return new Signed(fields, Objects.requireNonNull(signingDomain),
                keys.stream().map(DkimSigningKey::selector).toList());
    }

    /**
     * The domain of the first address of a From field value, lower-cased, when it looks like an ASCII domain;
     * null otherwise. Peer text: bounded and checked character by character before it goes anywhere.
     */
    static @Nullable String fromDomain(@Nullable String from) {
        if (from == null) {
            return null;
        }
        String address = from;
        int open = from.lastIndexOf('<');
        if (open >= 0) {
            int close = from.indexOf('>', open);
            address = from.substring(open + 1, close < 0 ? from.length() : close);
        } else {
            int comma = from.indexOf(',');
            if (comma >= 0) {
                address = from.substring(0, comma);
            }
        }
        int at = address.lastIndexOf('@');
        if (at < 0) {
            return null;
        }
        String domain = address.substring(at + 1).strip().toLowerCase(Locale.ROOT);
        if (domain.endsWith(".")) {
            domain = domain.substring(0, domain.length() - 1);
        }
        if (domain.isEmpty() || domain.length() > MAX_DOMAIN) {
            return null;
        }
        for (int i = 0; i < domain.length(); i++) {
            char c = domain.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_')) {
                return null;
            }
        }
        return domain;
    }
}
