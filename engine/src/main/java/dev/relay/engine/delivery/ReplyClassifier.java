package dev.relay.engine.delivery;

import dev.relay.engine.delivery.DeliveryOutcome.Bounced;
import dev.relay.engine.delivery.DeliveryOutcome.ConnectionFailed;
import dev.relay.engine.delivery.DeliveryOutcome.Deferred;
import dev.relay.engine.delivery.DeliveryOutcome.Delivered;
import dev.relay.protocol.SmtpReply;
import io.netty.handler.codec.DecoderException;
import java.net.ConnectException;
import java.time.Instant;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;

/**
 * The one place where remote replies, local refusals and failures become {@link DeliveryOutcome}s.
 *
 * <ul>
 *   <li>2xx: Delivered; 4xx: Deferred; 5xx: Bounced. The reply code decides, not the enhanced status: a reply whose
 *       status class disagrees with its code carries no status at all ({@link SmtpReply#fromWire}), as Postfix does,
 *       so a 4xx stays transient whatever its text says (4.7.x policy replies included) and a 5xx is always final.
 *   <li>One refinement by status: on RCPT, 552 or x.5.3 means "too many recipients", which RFC 5321 4.5.3.1.10 says
 *       to treat as temporary (legacy servers send 552 where 452 is meant).
 *   <li>A 4xx is read once more for when to come back ({@link RetryHint}): a stated wait ("try again in 300
 *       seconds", on any line) becomes {@code retryAfter}, and greylisting without one is flagged for an early retry.
 *   <li>A 1xx/3xx where a final reply was due is a broken conversation: Deferred, never Delivered.
 *   <li>Exceptions (refused, reset, timeouts, the transaction deadline, TLS handshake, unparsable replies or replies
 *       over the size limits): ConnectionFailed with a short, clean cause.
 * </ul>
 *
 * Local refusals use synthetic replies with the codes a receiving MTA would have used, so DSNs read naturally.
 */
public final class ReplyClassifier {
    /**
     * TLS required, STARTTLS not advertised: 4.7.4 "security features not supported" (RFC 3463); transient,
     * because a later attempt may reach an MX that offers it, and the sender's policy is ours, not the recipient's.
     */
    public static final SmtpReply TLS_NOT_OFFERED =
            SmtpReply.of(451, "4.7.4", "TLS required but the next hop does not offer STARTTLS");
    /** TLS required, STARTTLS refused, handshake or certificate check failed: 4.7.5 "cryptographic failure". */
    public static final SmtpReply TLS_FAILED = SmtpReply.of(451, "4.7.5", "TLS required but STARTTLS failed");
    /** RFC 6531 3.4: a message needing SMTPUTF8 must not be sent to a server without it (no downgrade here). */
    public static final SmtpReply SMTPUTF8_NOT_OFFERED =
            SmtpReply.of(550, "5.6.7", "the message needs SMTPUTF8, which the next hop does not support");
    /**
     * RFC 6152 3: 8-bit content to a server without 8BITMIME must be converted or bounced; conversion (to
     * quoted-printable) is out of scope, so 5.6.3 "conversion required but not supported".
     */
    public static final SmtpReply EIGHTBITMIME_NOT_OFFERED =
            SmtpReply.of(554, "5.6.3", "8-bit content but the next hop does not support 8BITMIME");
    /** Too many deliveries already waiting for a connection to the site: 4.4.5 "system congestion". */
    public static final SmtpReply POOL_FULL =
            SmtpReply.of(451, "4.4.5", "too many deliveries waiting for a connection to this site");
    /** The client was closed while the delivery waited. */
    public static final SmtpReply CLIENT_CLOSED = SmtpReply.of(451, "4.3.2", "delivery client shutting down");

    private ReplyClassifier() {
    }

    /** A reply to anything but RCPT (greeting, EHLO/HELO, MAIL, DATA, final dot). */
    public static DeliveryOutcome classify(@Nullable String host, SmtpReply reply) {
        int klass = reply.code() / 100;
        if (klass == 2) {
            return new Delivered(host == null ? "" : host, reply);
        }
        if (klass == 5) {
            return new Bounced(host, reply);
        }
        if (klass != 4) {
            return new Deferred(host, reply, null); // 1xx/3xx where a final reply was due
        }
        RetryHint hint = RetryHint.read(reply, Instant.now());
        return new Deferred(host, reply, hint.retryAfter(), hint.greylisting());
    }

    /** A reply to RCPT: like {@link #classify}, but "too many recipients" is transient (RFC 5321 4.5.3.1.10). */
    public static DeliveryOutcome classifyRcpt(@Nullable String host, SmtpReply reply) {
        boolean tooMany = reply.code() == 552
                || (reply.status() != null && reply.status().subject() == 5 && reply.status().detail() == 3);
        if (reply.code() / 100 == 5 && tooMany) {
            return new Deferred(host, reply, null);
        }
        return classify(host, reply);
    }

    /** A message larger than the server's declared SIZE: 552 5.3.4 "message too big for system" (RFC 1870). */
    public static Bounced tooBig(@Nullable String host, long size, long maxSize) {
        return new Bounced(host, SmtpReply.of(552, "5.3.4",
                "message size " + size + " exceeds the next hop's limit of " + maxSize));
    }

    /** A local refusal with one of the synthetic replies above. */
    public static DeliveryOutcome local(@Nullable String host, SmtpReply reply) {
        return classify(host, reply);
    }

    /** Any exception on the way: never thrown further, always this outcome. */
    public static ConnectionFailed failure(@Nullable String host, Throwable error) {
        return new ConnectionFailed(host, describe(error));
    }

    /** Longest {@link #describe} result: exception messages may quote what the peer sent. */
    static final int MAX_CAUSE = 512;

    /** A short, log-safe description of why a connection failed: at most {@link #MAX_CAUSE} chars, no controls. */
    public static String describe(Throwable error) {
        String text = describeUnbounded(error);
        StringBuilder clean = new StringBuilder(Math.min(text.length(), MAX_CAUSE));
        for (int i = 0; i < text.length() && clean.length() < MAX_CAUSE; i++) {
            char c = text.charAt(i);
            clean.append(Character.isISOControl(c) ? '?' : c);
        }
        return clean.toString();
    }

    private static String describeUnbounded(Throwable error) {
        Throwable e = error;
        while ((e instanceof DecoderException || e.getClass() == RuntimeException.class) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ConversationException c) {
            return String.valueOf(c.getMessage());
        }
        if (e instanceof DecoderException) {
            // SmtpReplyDecoder's limits and malformed lines: the next hop broke the protocol
            return "protocol error: " + e.getMessage();
        }
        if (e instanceof ConnectException) {
            return "connection refused: " + e.getMessage();
        }
        if (e instanceof TimeoutException || e instanceof io.netty.channel.ConnectTimeoutException) {
            return "timeout: " + e.getMessage();
        }
        if (e instanceof SSLException) {
            return "TLS: " + e.getMessage();
        }
        if (e instanceof ClosedChannelException) {
            return "connection closed";
        }
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
