package dev.relay.engine.server;

import dev.relay.engine.auth.AuthResult;
import java.net.InetAddress;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * What follows an AUTH exchange once the client has sent its credentials: the per-address failure limit, the
 * password check against the connected systems (slow by design, off the event loop), and what its result does to
 * the session (counted, logged, 235 / 535 / 421 by {@link AuthExchange#result}). Each as a {@link Step} or a
 * {@code Mono} of one, so the session only carries Steps out. Called on the session's event loop; the Mono completes
 * on the hashing scheduler or a timer, and only reads its arguments.
 */
final class AuthSteps {
    /** The session's logger: these are its log lines, under the name operators filter on. */
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionServices services;
    private final SessionCommands commands;
    private final String id;

    AuthSteps(SessionServices services, SessionCommands commands, String id) {
        this.services = services;
        this.commands = commands;
        this.id = id;
    }

    /**
     * The check of {@code step}'s password; a 421 and close, without a check, when the client's address has failed
     * too often in the last minute. A failure is answered only after {@code auth_failure_delay}, so guessing costs
     * the guesser time; a 454 when the check itself failed.
     */
    Mono<Step> verify(SessionState state, Step.VerifyPassword step) {
        InetAddress client = state.client;
        if (!services.clientLimits().tryAuth(client)) {
            services.metrics().authLimited();
            log.info("{} AUTH refused: too many failures from {} in the last minute", id, client.getHostAddress());
            return Mono.just(new Step.Close(Replies.IP_TOO_MANY_AUTH_FAILURES));
        }
        String user = step.user();
        var authenticator = Objects.requireNonNull(services.authenticator(), "authenticator");
        return authenticator.authenticate(user, step.password().toCharArray())
                .<Step>flatMap(result -> {
                    Step checked = new Step.PasswordChecked(user, result);
                    if (result instanceof AuthResult.Success) {
                        services.clientLimits().authSucceeded(client);
                        return Mono.just(checked);
                    }
                    return Mono.just(checked).delayElement(services.clientLimits().authFailureDelay());
                })
                .onErrorResume(error -> {
                    log.warn("{} AUTH check failed: {}", id, error.toString());
                    return Mono.just(new Step.Reply(Replies.AUTH_TEMPORARY_FAILURE));
                });
    }

    /** The check decided: counted, logged, applied to the session. */
    Step checked(SessionState state, Step.PasswordChecked checked) {
        AuthResult result = checked.result();
        boolean success = result instanceof AuthResult.Success;
        services.metrics().auth(success);
        Step step = commands.authResult(state, result);
        if (result instanceof AuthResult.Success s) {
            log.info("{} authenticated as {} (system {})", id, LogText.escape(s.user()), s.system());
        } else if (result instanceof AuthResult.Disabled d) {
            log.info("{} authentication refused for {}: system {} is disabled", id, LogText.escape(d.user()),
                    d.system());
        } else {
            log.info("{} authentication failed for {} from {}", id, LogText.escape(checked.user()),
                    state.client.getHostAddress());
        }
        return step;
    }
}
