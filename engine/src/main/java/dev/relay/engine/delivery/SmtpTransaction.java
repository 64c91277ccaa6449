package dev.relay.engine.delivery;

import dev.relay.engine.delivery.SmtpClientConnection.Command;
import dev.relay.protocol.EhloCapabilities;
import dev.relay.protocol.SmtpReply;
import io.netty.handler.codec.smtp.SmtpRequests;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One transaction on an open connection: MAIL, RCPT per recipient, DATA, content, final reply; in one flush with
 * PIPELINING (RFC 2920), else one command at a time. Per recipient: a refused RCPT gives that recipient the
 * RCPT reply's outcome, accepted recipients get the outcome of the final reply (or of the DATA reply when DATA
 * was refused), a refused MAIL gives everyone its outcome. When no content is sent after MAIL was answered, RSET
 * ends the transaction; a transaction that got its final reply needs none (RFC 5321 4.1.1.5: it is over), so the
 * next one on the connection starts with MAIL directly. A connection that breaks off gives ConnectionFailed to
 * every recipient not already refused by its RCPT reply (a reused one that breaks before its first reply is
 * {@link Stale} instead); a break after the dot was sent means the message may arrive twice (RFC 5321 6.1 accepts
 * that duplicate).
 */
final class SmtpTransaction {
    /**
     * A reused connection broke before any reply to this transaction: the peer closed it while it was idle (an idle
     * timeout whose close crossed our MAIL). Nothing was accepted, so the transaction may go again on a new
     * connection; the connection is closed.
     */
    static final class Stale extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stale(Throwable cause) {
            super("reused connection broke before its first reply", cause, false, false);
        }
    }

    private final SmtpClientConnection connection;
    private final Envelope envelope;
    private final String host;
    private final DeliveryOutcome[] outcomes;
    /** The connection was reused without a probe: a break before the first reply is {@link Stale}. */
    private final boolean reused;
    private volatile boolean finished;

    SmtpTransaction(SmtpClientConnection connection, Envelope envelope, boolean reused) {
        this.connection = connection;
        this.envelope = envelope;
        this.host = connection.hop().hostname();
        this.outcomes = new DeliveryOutcome[envelope.recipients().size()];
        this.reused = reused;
    }

    Mono<AttemptResult> run() {
        DeliveryOutcome refused = precheck(connection.capabilities());
        if (refused != null) {
            Arrays.fill(outcomes, refused);
            return Mono.just(result()); // nothing was sent: the connection stays clean
        }
        connection.countTransaction();
        long repliesBefore = connection.repliesRead();
        Mono<AttemptResult> flow = connection.capabilities().pipelining() ? pipelined() : stepwise();
        return flow.onErrorResume(error -> {
            if (reused && connection.repliesRead() == repliesBefore) {
                connection.close();
                return Mono.error(new Stale(error));
            }
            DeliveryOutcome broken = ReplyClassifier.failure(host, error);
            for (int i = 0; i < outcomes.length; i++) {
                if (outcomes[i] == null) {
                    outcomes[i] = broken;
                }
            }
            connection.close();
            return Mono.just(result());
        }).doOnNext(r -> finished = true).doOnCancel(() -> {
            if (!finished) {
                connection.close(); // the conversation's state is unknown: never reuse it
            }
        });
    }

    /** What the next hop cannot take, decided before anything is sent. */
    private @Nullable DeliveryOutcome precheck(EhloCapabilities caps) {
        if (envelope.smtputf8() && !caps.smtpUtf8()) {
            return ReplyClassifier.local(host, ReplyClassifier.SMTPUTF8_NOT_OFFERED);
        }
        if (envelope.body8bit() && !caps.eightBitMime()) {
            return ReplyClassifier.local(host, ReplyClassifier.EIGHTBITMIME_NOT_OFFERED);
        }
        if (caps.maxSize() > 0 && envelope.content().length > caps.maxSize()) {
            return ReplyClassifier.tooBig(host, envelope.content().length, caps.maxSize());
        }
        return null;
    }

    private Mono<AttemptResult> pipelined() {
        List<Command> group = new ArrayList<>(outcomes.length + 2);
        group.add(mail());
        for (String recipient : envelope.recipients()) {
            group.add(rcpt(recipient));
        }
        group.add(data());
        return connection.exchange(group).flatMap(replies -> afterEnvelope(replies.get(0),
                replies.subList(1, replies.size() - 1), replies.get(replies.size() - 1)));
    }

    private Mono<AttemptResult> stepwise() {
        return connection.exchange(mail()).flatMap(mail -> {
            if (mail.code() / 100 != 2) {
                return afterEnvelope(mail, List.of(), null);
            }
            return Flux.fromIterable(envelope.recipients())
                    .concatMap(recipient -> connection.exchange(rcpt(recipient)))
                    .collectList()
                    .flatMap(rcpts -> rcpts.stream().anyMatch(r -> r.code() / 100 == 2)
                            ? connection.exchange(data()).flatMap(data -> afterEnvelope(mail, rcpts, data))
                            : afterEnvelope(mail, rcpts, null));
        });
    }

    /** {@code data} is null when DATA was not sent. */
    private Mono<AttemptResult> afterEnvelope(SmtpReply mail, List<SmtpReply> rcpts, @Nullable SmtpReply data) {
        if (mail.code() / 100 != 2) {
            Arrays.fill(outcomes, ReplyClassifier.classify(host, mail));
            return abandon(data);
        }
        boolean anyAccepted = false;
        for (int i = 0; i < rcpts.size(); i++) {
            if (rcpts.get(i).code() / 100 == 2) {
                anyAccepted = true;
            } else {
                outcomes[i] = ReplyClassifier.classifyRcpt(host, rcpts.get(i));
            }
        }
        if (!anyAccepted || data == null) {
            return abandon(data);
        }
        if (data.code() != 354) {
            // a 2xx to DATA would mean "accepted" with no content sent: a broken server, so only transient
            fillAccepted(data.code() / 100 == 2 ? new DeliveryOutcome.Deferred(host, data, null)
                    : ReplyClassifier.classify(host, data));
            return abandon(data);
        }
        return connection.sendContent(envelope.content()).map(last -> {
            fillAccepted(ReplyClassifier.classify(host, last));
            return result();
        });
    }

    /**
     * No content goes out: if the server said 354 anyway (all RCPTs refused but DATA accepted, RFC 2920 3.1), send
     * just the dot; then RSET so that the session is clean. A failed RSET closes the connection.
     */
    private Mono<AttemptResult> abandon(@Nullable SmtpReply data) {
        Mono<?> dot = data != null && data.code() == 354 ? connection.sendContent(new byte[0]) : Mono.empty();
        return dot.then(connection.reset()).thenReturn(result()).onErrorReturn(result());
    }

    private void fillAccepted(DeliveryOutcome outcome) {
        for (int i = 0; i < outcomes.length; i++) {
            if (outcomes[i] == null) {
                outcomes[i] = outcome;
            }
        }
    }

    private AttemptResult result() {
        List<DeliveryOutcome> list = new ArrayList<>(outcomes.length);
        for (DeliveryOutcome outcome : outcomes) {
            list.add(outcome != null ? outcome
                    : new DeliveryOutcome.ConnectionFailed(host, "no reply for this recipient"));
        }
        return new AttemptResult(list);
    }

    private Command mail() {
        EhloCapabilities caps = connection.capabilities();
        List<CharSequence> parameters = new ArrayList<>(3);
        if (caps.sizeAdvertised()) {
            parameters.add("SIZE=" + envelope.content().length);
        }
        if (envelope.body8bit()) {
            parameters.add("BODY=8BITMIME");
        }
        if (envelope.smtputf8()) {
            parameters.add("SMTPUTF8");
        }
        return new Command(SmtpRequests.mail(envelope.reversePath(), parameters.toArray(CharSequence[]::new)),
                connection.limits().commandTimeout(), "MAIL");
    }

    private Command rcpt(String recipient) {
        return new Command(SmtpRequests.rcpt(recipient), connection.limits().commandTimeout(), "RCPT");
    }

    private Command data() {
        return new Command(SmtpRequests.data(), connection.limits().dataTimeout(), "DATA");
    }
}
