package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.auth.AuthResult;
import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.Verb;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decisions the session only carries out, as values: refusals with their reason, the end of content, AUTH
 * results, line errors.
 */
class SessionStepsTest {
    private static final ContentStats CLEAN = new ContentStats(100, false, false, false, false, 0);

    private final SmtpConfig config = new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "relay.test", 1024, 2, 10,
            Duration.ofMinutes(5), Duration.ofMinutes(10), 2, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT,
            Duration.ofSeconds(30), List.of(), List.of(), null, new AuthConfig(null, false));
    private final SessionCommands commands =
            new SessionCommands(config, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))), true, true);

    private static SessionState session(String client) throws Exception {
        return new SessionState("t", InetAddress.getByName(client));
    }

    private Step run(SessionState state, Verb verb, String argument) {
        return commands.handle(state, new SmtpCommand(verb, argument, verb + " " + argument));
    }

    private SessionState inTransaction() throws Exception {
        SessionState state = session("10.1.2.3");
        run(state, Verb.EHLO, "client.test");
        run(state, Verb.MAIL, "FROM:<a@b.test>");
        run(state, Verb.RCPT, "TO:<c@d.test>");
        return state;
    }

    @Test
    void refusalsOfAMessageCarryTheirReason() throws Exception {
        SessionState outsider = session("192.0.2.1");
        run(outsider, Verb.EHLO, "client.test");
        assertThat(run(outsider, Verb.MAIL, "FROM:<a@b.test> SIZE=2048"))
                .isEqualTo(new Step.Refuse(Rejection.SIZE, Replies.SIZE_EXCEEDED));
        run(outsider, Verb.MAIL, "FROM:<a@b.test>");
        assertThat(run(outsider, Verb.RCPT, "TO:<c@d.test>"))
                .isEqualTo(new Step.Refuse(Rejection.RELAY_DENIED, Replies.RELAY_DENIED));
        assertThat(run(outsider, Verb.DATA, ""))
                .isEqualTo(new Step.Refuse(Rejection.NO_RECIPIENTS, Replies.NO_VALID_RECIPIENTS));
    }

    @Test
    void theEndOfCleanDataIsAMessageToAcceptAndEndsTheTransaction() throws Exception {
        SessionState state = inTransaction();
        Transaction transaction = state.transaction;
        assertThat(commands.contentEnd(state, ContentMode.DATA, CLEAN))
                .isEqualTo(new Step.AcceptMessage(transaction, CLEAN));
        assertThat(state.transaction).isNull();
    }

    @Test
    void contentOverTheLimitsIsRefusedWithItsReason() throws Exception {
        SessionState state = inTransaction();
        assertThat(commands.contentEnd(state, ContentMode.DATA, new ContentStats(2048, true, false, false, false, 0)))
                .isEqualTo(new Step.Refuse(Rejection.SIZE, Replies.SIZE_EXCEEDED));
        assertThat(state.transaction).isNull();

        state = inTransaction();
        assertThat(commands.contentEnd(state, ContentMode.DATA, new ContentStats(10, false, false, true, false, 0)))
                .isEqualTo(new Step.Refuse(Rejection.CONTENT, Replies.NUL_IN_CONTENT));
        state = inTransaction();
        assertThat(commands.contentEnd(state, ContentMode.DATA, new ContentStats(10, false, true, false, false, 0)))
                .isEqualTo(new Step.Refuse(Rejection.CONTENT, Replies.LINE_TOO_LONG_IN_CONTENT));
    }

    @Test
    void bdatChunksAreAcknowledgedUntilTheLastAndAFailedMessageRefusesTheRest() throws Exception {
        SessionState state = inTransaction();
        run(state, Verb.BDAT, "100");
        Step step = commands.contentEnd(state, new ContentMode.KeptChunk(false), CLEAN);
        assertThat(((Step.Reply) step).reply().code()).isEqualTo(250);
        assertThat(((Step.Reply) step).reply().lines()).containsExactly("100 octets received");

        run(state, Verb.BDAT, "5000");
        assertThat(commands.contentEnd(state, new ContentMode.KeptChunk(false),
                new ContentStats(5000, true, false, false, false, 0)))
                .isEqualTo(new Step.Refuse(Rejection.SIZE, Replies.SIZE_EXCEEDED));
        assertThat(run(state, Verb.BDAT, "10 LAST")).as("the rest is read to be thrown away")
                .isEqualTo(new Step.StartChunk(10, true, false, false));
        assertThat(commands.contentEnd(state, new ContentMode.DiscardedChunk(true), CLEAN))
                .isEqualTo(new Step.Reply(Replies.BAD_SEQUENCE));
        assertThat(state.transaction).as("the last chunk ends the transaction").isNull();
    }

    @Test
    void aChunkWithoutATransactionIsRefusedAfterItIsRead() throws Exception {
        SessionState state = session("10.1.2.3");
        run(state, Verb.EHLO, "client.test");
        assertThat(commands.contentEnd(state, new ContentMode.DiscardedChunk(false), CLEAN))
                .isEqualTo(new Step.Reply(SmtpReply.of(503, "5.5.1", "Need MAIL command")));
    }

    @Test
    void authResultsAreSteps() throws Exception {
        SessionState state = session("10.1.2.3");
        assertThat(commands.authResult(state, new AuthResult.Failure("shop")))
                .isEqualTo(new Step.Reply(Replies.AUTH_FAILED));
        assertThat(state.user).isNull();
        assertThat(commands.authResult(state, new AuthResult.Failure("shop")))
                .as("smtp.max_auth_failures = 2").isEqualTo(new Step.Close(Replies.AUTH_TOO_MANY_FAILURES));

        SessionState other = session("10.1.2.4");
        assertThat(commands.authResult(other, new AuthResult.Success("shop", "bulk")))
                .isEqualTo(new Step.Reply(Replies.AUTH_OK));
        assertThat(other.user).isEqualTo("shop");
        assertThat(other.userPriority).isEqualTo("bulk");
    }

    @Test
    void aLineErrorEndsAnAuthExchangeWithItsOwnReply() throws Exception {
        SessionState state = session("10.1.2.3");
        assertThat(commands.lineError(state, CommandLineError.Kind.TOO_LONG))
                .isEqualTo(new Step.Reply(Replies.LINE_TOO_LONG));
        run(state, Verb.EHLO, "client.test");
        run(state, Verb.AUTH, "LOGIN");
        assertThat(state.authStage).isEqualTo(SessionState.AuthStage.LOGIN_USER);
        assertThat(commands.lineError(state, CommandLineError.Kind.TOO_LONG))
                .isEqualTo(new Step.Reply(Replies.AUTH_LINE_TOO_LONG));
        assertThat(state.authStage).isEqualTo(SessionState.AuthStage.NONE);
        assertThat(commands.lineError(state, CommandLineError.Kind.BARE_LINE_ENDING))
                .isEqualTo(new Step.Reply(Replies.BARE_LINE_ENDING));
    }

    @Test
    void rcptAsksTheSuppressionListOnlyWhenItsCacheDoesNotKnowTheAddress() throws Exception {
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        dev.relay.engine.policy.SuppressionCheck check = new dev.relay.engine.policy.SuppressionCheck(
                (scope, address) -> {
                    lookups.incrementAndGet();
                    return address.equals("dead@d.test") ? reactor.core.publisher.Mono.just(
                            new dev.relay.storage.SuppressionRecords.Suppression("*", address,
                                    dev.relay.storage.SuppressionRecords.Reason.HARD_BOUNCE, null, null,
                                    java.time.Instant.parse("2026-03-04T05:06:07Z"), null, "bounce"))
                            : reactor.core.publisher.Mono.empty();
                }, dev.relay.engine.config.SuppressionConfig.defaults(),
                com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        SessionCommands withList = new SessionCommands(config, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))),
                true, true, check);
        SessionState state = session("10.1.2.3");
        withList.handle(state, new SmtpCommand(Verb.EHLO, "client.test", "EHLO client.test"));
        withList.handle(state, new SmtpCommand(Verb.MAIL, "FROM:<a@b.test>", "MAIL FROM:<a@b.test>"));

        Step first = withList.handle(state, new SmtpCommand(Verb.RCPT, "TO:<Dead@d.test>", "RCPT TO:<Dead@d.test>"));
        assertThat(first).isInstanceOf(Step.CheckRecipient.class);
        Step.CheckRecipient ask = (Step.CheckRecipient) first;
        assertThat(ask.scope()).isEqualTo("*");
        dev.relay.engine.policy.SuppressionCheck.Verdict verdict = check.check(ask.scope(), ask.address())
                .block(Duration.ofSeconds(5));
        assertThat(withList.recipientChecked(state, ask.mailbox(), verdict)).isEqualTo(new Step.Refuse(
                Rejection.SUPPRESSED, SmtpReply.of(550, "5.7.1", "<Dead@d.test>: suppressed (hard_bounce since"
                        + " 2026-03-04)")));
        // now cached: answered without a step to wait for, and without a second lookup
        assertThat(withList.handle(state, new SmtpCommand(Verb.RCPT, "TO:<dead@D.test>", "RCPT TO:<dead@D.test>")))
                .isInstanceOf(Step.Refuse.class);
        assertThat(lookups).hasValue(1);

        Step other = withList.handle(state, new SmtpCommand(Verb.RCPT, "TO:<ok@d.test>", "RCPT TO:<ok@d.test>"));
        Step.CheckRecipient askOther = (Step.CheckRecipient) other;
        Step accepted = withList.recipientChecked(state, askOther.mailbox(),
                check.check(askOther.scope(), askOther.address()).block(Duration.ofSeconds(5)));
        assertThat(accepted).isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok")));
        assertThat(state.transaction.recipients()).containsExactly("ok@d.test");
    }

    @Test
    void aFailedSuppressionLookupIsNotCached() {
        java.util.concurrent.atomic.AtomicInteger lookups = new java.util.concurrent.atomic.AtomicInteger();
        dev.relay.engine.policy.SuppressionCheck check = new dev.relay.engine.policy.SuppressionCheck(
                (scope, address) -> lookups.incrementAndGet() == 1
                        ? reactor.core.publisher.Mono.error(new IllegalStateException("database down"))
                        : reactor.core.publisher.Mono.empty(),
                dev.relay.engine.config.SuppressionConfig.defaults(),
                com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> check.check("shop", "a@d.test")
                .block(Duration.ofSeconds(5))).hasMessageContaining("database down");
        assertThat(check.cached("shop", "a@d.test")).isNull();
        assertThat(check.check("shop", "a@d.test").block(Duration.ofSeconds(5)))
                .isInstanceOf(dev.relay.engine.policy.SuppressionCheck.Verdict.Clear.class);
        assertThat(check.cached("shop", "a@d.test"))
                .isInstanceOf(dev.relay.engine.policy.SuppressionCheck.Verdict.Clear.class);
        // an address the list cannot hold is never suppressed and needs no lookup
        assertThat(check.cached("shop", "\"a b\"@d.test"))
                .isInstanceOf(dev.relay.engine.policy.SuppressionCheck.Verdict.Clear.class);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void acceptAndRecordTakesASuppressedRecipientWithoutQueueingIt() throws Exception {
        dev.relay.engine.config.SuppressionConfig d = dev.relay.engine.config.SuppressionConfig.defaults();
        dev.relay.engine.config.SuppressionConfig record = new dev.relay.engine.config.SuppressionConfig(
                dev.relay.engine.config.SuppressionConfig.Mode.ACCEPT_AND_RECORD, d.cacheTtl(), d.cacheSize(),
                d.lookupTimeout(), d.softBounceLimit(), d.softBounceWindow());
        dev.relay.engine.policy.SuppressionCheck check = new dev.relay.engine.policy.SuppressionCheck(
                (scope, address) -> address.equals("dead@d.test") ? reactor.core.publisher.Mono.just(
                        new dev.relay.storage.SuppressionRecords.Suppression("*", address,
                                dev.relay.storage.SuppressionRecords.Reason.COMPLAINT, null, null,
                                java.time.Instant.parse("2026-03-04T05:06:07Z"), null, "intake"))
                        : reactor.core.publisher.Mono.empty(),
                r -> reactor.core.publisher.Mono.empty(), record,
                com.github.benmanes.caffeine.cache.Ticker.systemTicker());
        assertThat(check.acceptsSuppressed()).isTrue();
        SessionCommands withList = new SessionCommands(config, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))),
                true, true, check);
        SessionState state = session("10.1.2.3");
        withList.handle(state, new SmtpCommand(Verb.EHLO, "client.test", "EHLO client.test"));
        withList.handle(state, new SmtpCommand(Verb.MAIL, "FROM:<a@b.test>", "MAIL FROM:<a@b.test>"));
        for (String rcpt : List.of("dead@d.test", "ok@d.test")) {
            Step.CheckRecipient ask = (Step.CheckRecipient) withList.handle(state,
                    new SmtpCommand(Verb.RCPT, "TO:<" + rcpt + ">", "RCPT TO:<" + rcpt + ">"));
            assertThat(withList.recipientChecked(state, ask.mailbox(),
                    check.check(ask.scope(), ask.address()).block(Duration.ofSeconds(5))))
                    .isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok")));
        }
        // queued: only the clear one; the suppressed one is kept apart with the text of its event
        assertThat(state.transaction.recipients()).containsExactly("ok@d.test");
        assertThat(state.transaction.suppressed()).containsExactly("dead@d.test");
        assertThat(state.transaction.suppressedReplies())
                .containsExactly("<dead@d.test>: suppressed (complaint since 2026-03-04)");
        // the recipient limit (2 here) counts it
        assertThat(withList.handle(state, new SmtpCommand(Verb.RCPT, "TO:<third@d.test>", "RCPT TO:<third@d.test>")))
                .isEqualTo(new Step.Reply(Replies.TOO_MANY_RECIPIENTS));

        // every recipient suppressed: still a transaction DATA may end
        SessionState only = session("10.1.2.3");
        withList.handle(only, new SmtpCommand(Verb.EHLO, "client.test", "EHLO client.test"));
        withList.handle(only, new SmtpCommand(Verb.MAIL, "FROM:<a@b.test>", "MAIL FROM:<a@b.test>"));
        assertThat(withList.handle(only, new SmtpCommand(Verb.RCPT, "TO:<dead@d.test>", "RCPT TO:<dead@d.test>")))
                .isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.5", "Ok")));
        assertThat(only.transaction.recipients()).isEmpty();
        assertThat(withList.handle(only, new SmtpCommand(Verb.DATA, "", "DATA")))
                .isNotInstanceOf(Step.Refuse.class);
    }
}
