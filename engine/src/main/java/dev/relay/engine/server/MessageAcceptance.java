package dev.relay.engine.server;

import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.identity.Identities;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.MailParameters;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Turns a complete, clean message into what the spool stores: refuses a mail loop (too many Received fields) and,
 * from an authenticated system, a header From outside its sending domains; cuts the priority header out and applies
 * it (else the system's default lane); adds {@code List-Help} when the From domain has one and the message has none;
 * adds {@code Message-ID} and {@code Date} when the message has none (many applications omit them; large providers
 * penalise their absence); puts our Received header on top and builds the {@link IncomingMessage}. The Message-ID
 * is {@code <queue id@smtp.hostname>}: unique (the queue id is random) and it leads from a recipient's copy to the
 * queue. A pure function of its arguments and of the connected-systems snapshot in force (no I/O, no clock, no
 * channel); the session stores what it returns.
 */
final class MessageAcceptance {

    /** The outcome; the content buffer given to {@link #accept} is owned by it in either case. */
    sealed interface Result {
    }

    /**
     * To be stored; {@code message} owns the content. {@code suppressed}: recipients accepted although suppressed
     * ({@code accept_and_record}), to be recorded and never queued; when every recipient is, {@code message} holds
     * them only to carry the envelope and {@code storesContent} is false: nothing to deliver, only events to write.
     */
    record Accepted(IncomingMessage message, boolean priorityFromHeader, List<String> suppressed,
                    List<String> suppressedReplies, boolean storesContent) implements Result {
        Accepted {
            suppressed = List.copyOf(suppressed);
            suppressedReplies = List.copyOf(suppressedReplies);
        }

        Accepted(IncomingMessage message, boolean priorityFromHeader) {
            this(message, priorityFromHeader, List.of(), List.of(), true);
        }
    }

    /** Refused before the COMMIT; the content is released. {@code detail} is for the log line. */
    record Refused(Rejection reason, SmtpReply reply, String detail) implements Result {
    }

    /** RFC 5322 section 3.3, with a two-digit day as most mailers write it. */
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z",
            Locale.ROOT);

    /** How much of a message is searched for its Message-ID and Date fields. */
    static final int HEADER_SCAN = 256 * 1024;

    private final SmtpConfig config;
    private final Supplier<Identities> identities;

    /** Without connected systems: no sending-domain check, no List-Help. */
    MessageAcceptance(SmtpConfig config) {
        this(config, () -> Identities.EMPTY);
    }

    MessageAcceptance(SmtpConfig config, Supplier<Identities> identities) {
        this.config = config;
        this.identities = identities;
    }

    /**
     * Takes ownership of {@code content}, the message as received from the client ({@code stats} describe it),
     * to become message {@code id}, received at {@code now} in the session {@code state} at the end of
     * {@code transaction}.
     */
    Result accept(SessionState state, Transaction transaction, CompositeByteBuf content, ContentStats stats,
            MessageId id, Instant now) {
        int maxReceived = config.maxReceivedHeaders();
        if (TraceFields.tooMany(content, maxReceived)) {
            // Before the COMMIT: a looping message is refused, never stored (Postfix's hopcount_limit).
            content.release();
            return new Refused(Rejection.LOOP, Replies.TOO_MANY_RECEIVED, String.valueOf(maxReceived));
        }
        Identities known = identities.get();
        String system = state.user;
        // the header is read only when something depends on it: a system to check, or List-Help URLs to add
        List<String> fromDomains = system != null || known.hasListHelp() ? fromDomains(content) : List.of();
        if (system != null) {
            // before the COMMIT, so a message that claims another customer's domain is never stored
            for (String domain : fromDomains) {
                if (!known.maySendAs(system, domain)) {
                    content.release();
                    return new Refused(Rejection.SENDER_DOMAIN, Replies.foreignHeaderFrom(domain, system),
                            "header From domain " + domain + " is not a sending domain of system " + system);
                }
            }
        }
        var priorityHeader = config.priorityHeader();
        PriorityHeader.Result override = PriorityHeader.strip(content, priorityHeader.name());
        CompositeByteBuf body = override.content();
        Priority priority = PriorityHeader.effective(priorityOf(state, known), override.requested(),
                priorityHeader.allowRaise());
        String listHelp = fromDomains.isEmpty() ? null : known.listHelp(fromDomains.get(0));
        if (listHelp != null && HeaderSection.values(body, "List-Help").isEmpty()) {
            // RFC 2369: where the recipient learns why this mail came and how to stop it, for mail that has no
            // unsubscribe link; the system's own List-Help, if any, is left as it is
            body.addComponent(true, 0, Unpooled.wrappedBuffer(("List-Help: <" + listHelp + ">\r\n")
                    .getBytes(StandardCharsets.US_ASCII)));
        }

        ZonedDateTime received = ZonedDateTime.ofInstant(now, ZoneOffset.UTC);
        // on the event loop: look at the first HEADER_SCAN bytes only, so a hostile "all header" message costs no
        // more; a Message-ID or Date field past them is not seen (and one more is added)
        var parsed = dev.relay.protocol.dkim.HeaderSection.parse(body.slice(body.readerIndex(),
                Math.min(body.readableBytes(), HEADER_SCAN)));
        byte[] missing = missingFields(parsed, id, received);
        if (missing.length > 0) {
            body.addComponent(true, 0, Unpooled.wrappedBuffer(missing));
        }
        // the history finds the message by it (the storage bounds and cleans it: peer text)
        String clientMessageId = parsed.has("message-id") ? parsed.firstValue("message-id") : ourMessageId(id);
        List<String> suppressed = transaction.suppressed();
        List<String> recipients = List.copyOf(transaction.recipients().isEmpty() ? suppressed
                : transaction.recipients());
        List<String> named = new ArrayList<>(transaction.recipients());
        named.addAll(suppressed);
        byte[] header = ReceivedHeader.render(String.valueOf(state.helo), state.client, config.hostname(),
                state.esmtp, state.tls, state.user != null, id.toString(), named,
                received);
        body.addComponent(true, 0, Unpooled.wrappedBuffer(header));
        MailParameters parameters = transaction.parameters();
        try {
            return new Accepted(new IncomingMessage(id, transaction.reversePath(), recipients, state.user, priority,
                    now, stats.eightBit() || parameters.body() == MailParameters.Body.EIGHT_BIT_MIME,
                    parameters.smtputf8(), state.client.getHostAddress(), String.valueOf(state.helo), body,
                    clientMessageId),
                    override.removed() > 0, suppressed, transaction.suppressedReplies(),
                    !transaction.recipients().isEmpty());
        } catch (RuntimeException e) {
            // The spool refused the envelope before taking the buffer: nothing is stored, nothing may leak.
            body.release();
            return new Refused(Rejection.CONTENT, SmtpReply.of(554, "5.6.0", "Message refused: " + e.getMessage()),
                    e.toString());
        }
    }

    /** The domains of the header From's addresses (the first From field; a second one is the signer's problem). */
    private static List<String> fromDomains(CompositeByteBuf content) {
        List<String> from = HeaderSection.values(content, "From");
        return from.isEmpty() ? List.of() : HeaderSection.addressDomains(from.get(0));
    }

    /** The {@code Message-ID} and {@code Date} fields {@code content} lacks, as bytes to put on top. */
    private byte[] missingFields(dev.relay.protocol.dkim.HeaderSection header, MessageId id, ZonedDateTime now) {
        StringBuilder fields = new StringBuilder();
        if (!header.has("message-id")) {
            fields.append("Message-ID: ").append(ourMessageId(id)).append("\r\n");
        }
        if (!header.has("date")) {
            fields.append("Date: ").append(DATE.format(now)).append("\r\n");
        }
        return fields.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The Message-ID the relay gives a message that has none. */
    private String ourMessageId(MessageId id) {
        return "<" + id + "@" + config.hostname() + ">";
    }

    /** The system's default lane in the snapshot in force, else the lane it had when it authenticated. */
    private static Priority priorityOf(SessionState state, Identities known) {
        String system = state.user;
        if (system != null && known.system(system) != null) {
            return known.lane(system);
        }
        String priority = state.userPriority;
        return priority == null ? Priority.TRANSACTIONAL : Priority.valueOf(priority.toUpperCase(Locale.ROOT));
    }
}
