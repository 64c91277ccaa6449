package dev.relay.engine.delivery;

import dev.relay.engine.config.TlsMode;
import dev.relay.engine.delivery.SmtpClientConnection.Command;
import dev.relay.protocol.EhloCapabilities;
import dev.relay.protocol.SmtpReply;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpRequests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The start of one connection's conversation: greeting, EHLO (HELO after a 5xx), then STARTTLS per the TLS policy
 * and EHLO again. Every way it can fail is a {@link HopFailure} carrying the outcome the recipients would get: a
 * refusal is classified from its reply, an unmet TLS requirement is a local 4.7.4/4.7.5 deferral, and a failed
 * opportunistic TLS handshake asks for one plaintext attempt at the same hop. Runs on the connection's event loop
 * (every step continues from a reply).
 */
final class SmtpHandshake {
    private static final Logger log = LoggerFactory.getLogger(SmtpHandshake.class);
    private static final SmtpCommand STARTTLS = SmtpCommand.valueOf("STARTTLS");

    private final SmtpClientConnection connection;
    private final String heloName;
    private final TlsMode tlsMode;
    private final ClientTls contexts;
    private final String host;

    SmtpHandshake(SmtpClientConnection connection, String heloName, TlsMode tlsMode, ClientTls contexts) {
        this.connection = connection;
        this.heloName = heloName;
        this.tlsMode = tlsMode;
        this.contexts = contexts;
        this.host = connection.hop().hostname();
    }

    /** Completes when the connection is ready for MAIL; see the class comment for its errors. */
    Mono<Void> run() {
        return connection.greeting().flatMap(reply -> {
            if (reply.code() != 220) {
                return Mono.error(refusal(reply));
            }
            return hello();
        }).flatMap(caps -> {
            connection.greeted(caps);
            return startTls(caps);
        });
    }

    private Mono<EhloCapabilities> hello() {
        return connection.exchange(command(SmtpRequests.ehlo(heloName), "EHLO")).flatMap(ehlo -> {
            if (ehlo.code() == 250) {
                return Mono.just(EhloCapabilities.parse(ehlo.lines()));
            }
            if (ehlo.code() / 100 != 5) {
                return Mono.error(refusal(ehlo));
            }
            return connection.exchange(command(SmtpRequests.helo(heloName), "HELO"))
                    .flatMap(helo -> helo.code() == 250 ? Mono.just(EhloCapabilities.NONE) : Mono.error(refusal(helo)));
        });
    }

    private Mono<Void> startTls(EhloCapabilities caps) {
        if (tlsMode == TlsMode.DISABLED) {
            return Mono.empty();
        }
        boolean required = tlsMode == TlsMode.REQUIRED;
        if (!caps.startTls()) {
            return required ? refuseLocally(ReplyClassifier.TLS_NOT_OFFERED, "STARTTLS not offered") : Mono.empty();
        }
        return connection.exchange(command(new DefaultSmtpRequest(STARTTLS), "STARTTLS"))
                .flatMap(reply -> {
                    if (reply.code() != 220) {
                        // RFC 3207 4: the session simply stays in plaintext
                        return required ? refuseLocally(ReplyClassifier.TLS_FAILED, "STARTTLS refused: " + reply)
                                : Mono.empty();
                    }
                    return connection.secure(contexts)
                            .onErrorMap(e -> required
                                    ? new HopFailure(new DeliveryOutcome.Deferred(host, ReplyClassifier.TLS_FAILED,
                                            null), false)
                                    : new HopFailure(ReplyClassifier.failure(host, e), true))
                            .then(hello())
                            .doOnNext(connection::greeted)
                            .then();
                });
    }

    private Mono<Void> refuseLocally(SmtpReply reply, String why) {
        log.info("{} {}: deferring ({})", host, why, reply);
        connection.quit().subscribe();
        return Mono.error(new HopFailure(ReplyClassifier.local(host, reply), false));
    }

    private HopFailure refusal(SmtpReply reply) {
        connection.quit().subscribe();
        return new HopFailure(ReplyClassifier.classify(host, reply), false);
    }

    private Command command(SmtpRequest request, String name) {
        return new Command(request, connection.limits().commandTimeout(), name);
    }
}
