package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.Verb;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The session's state machine without a socket: each verb in each state, as reply codes and steps. */
class SessionCommandsTest {
    private final SmtpConfig settings = new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "relay.test", 1024, 2, 10,
            Duration.ofMinutes(5), Duration.ofMinutes(10), 3, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT,
            Duration.ofSeconds(30), List.of(), List.of(), null, new AuthConfig(null, true));
    private final SessionCommands commands = new SessionCommands(settings,
            new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))), true, true);
    private SessionState state;

    @BeforeEach
    void newSession() throws Exception {
        state = new SessionState("t", InetAddress.getByName("10.1.2.3"));
    }

    private Step run(String line) {
        int space = line.indexOf(' ');
        String word = space < 0 ? line : line.substring(0, space);
        Verb verb;
        try {
            verb = Verb.valueOf(word.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            verb = Verb.UNKNOWN;
        }
        String argument = space < 0 ? "" : line.substring(space + 1);
        if (verb == Verb.MAIL || verb == Verb.RCPT) {
            argument = argument.trim();
        }
        return commands.handle(state, new SmtpCommand(verb, argument, line));
    }

    private int code(String line) {
        Step step = run(line);
        if (step instanceof Step.Reply r) {
            return r.reply().code();
        }
        if (step instanceof Step.Refuse r) {
            return r.reply().code();
        }
        if (step instanceof Step.Close c) {
            return c.reply().code();
        }
        if (step instanceof Step.StartData d) {
            return d.reply().code();
        }
        if (step instanceof Step.StartTls t) {
            return t.reply().code();
        }
        if (step instanceof Step.Challenge c) {
            return c.reply().code();
        }
        return -1;
    }

    @ParameterizedTest(name = "{0} before EHLO -> {1}")
    @CsvSource({"MAIL FROM:<a@b.test>,503", "RCPT TO:<a@b.test>,503", "DATA,503", "RSET,250", "NOOP,250",
            "VRFY x,252", "HELP,214", "EXPN list,502", "QUIT,221", "FROB,500", "AUTH PLAIN,503", "STARTTLS,220"})
    void commandsBeforeGreeting(String line, int expected) {
        assertThat(code(line)).isEqualTo(expected);
    }

    @Test
    void fullTransactionInOrder() {
        assertThat(code("EHLO client.test")).isEqualTo(250);
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo(250);
        assertThat(code("RCPT TO:<c@d.test>")).isEqualTo(250);
        assertThat(run("DATA")).isInstanceOf(Step.StartData.class);
    }

    @Test
    void postmasterWithoutADomainIsRefusedAtRcptNotAfterData() {
        code("EHLO client.test");
        code("MAIL FROM:<a@b.test>");
        Step postmaster = run("RCPT TO:<Postmaster>");
        assertThat(postmaster).isEqualTo(new Step.Reply(Replies.NO_LOCAL_POSTMASTER));
        assertThat(Replies.NO_LOCAL_POSTMASTER.code()).isEqualTo(550);
        assertThat(code("DATA")).as("no valid recipients").isEqualTo(554);
        assertThat(code("RCPT TO:<postmaster@d.test>")).isEqualTo(250);
    }

    @Test
    void outOfOrderCommandsInsideATransaction() {
        code("EHLO client.test");
        assertThat(code("RCPT TO:<c@d.test>")).isEqualTo(503);
        assertThat(code("DATA")).isEqualTo(503);
        code("MAIL FROM:<a@b.test>");
        assertThat(code("MAIL FROM:<a@b.test>")).isEqualTo(503);
        assertThat(code("DATA")).as("no valid recipients").isEqualTo(554);
        assertThat(code("AUTH PLAIN")).isEqualTo(503);
        assertThat(code("RSET")).isEqualTo(250);
        assertThat(code("RCPT TO:<c@d.test>")).isEqualTo(503);
    }

    @Test
    void ehloStartsAFreshTransaction() {
        code("EHLO client.test");
        code("MAIL FROM:<a@b.test>");
        code("RCPT TO:<c@d.test>");
        code("EHLO client.test");
        assertThat(code("DATA")).isEqualTo(503);
    }

    @Test
    void recipientLimitAndRelayRights() throws Exception {
        code("EHLO client.test");
        code("MAIL FROM:<a@b.test>");
        assertThat(code("RCPT TO:<c1@d.test>")).isEqualTo(250);
        assertThat(code("RCPT TO:<c2@d.test>")).isEqualTo(250);
        assertThat(code("RCPT TO:<c3@d.test>")).isEqualTo(452);

        state = new SessionState("t2", InetAddress.getByName("192.0.2.1"));
        code("EHLO outsider.test");
        code("MAIL FROM:<a@b.test>");
        assertThat(code("RCPT TO:<c@d.test>")).isEqualTo(554);
        state.user = "shop";
        assertThat(code("RCPT TO:<c@d.test>")).isEqualTo(250);
    }

    @Test
    void sizeDeclaredOverTheLimitIsRefusedAtMail() {
        code("EHLO client.test");
        assertThat(code("MAIL FROM:<a@b.test> SIZE=1025")).isEqualTo(552);
        assertThat(code("MAIL FROM:<a@b.test> SIZE=1024")).isEqualTo(250);
    }

    @Test
    void authRequiresTlsAndThenFollowsTheMechanisms() {
        code("EHLO client.test");
        assertThat(code("AUTH PLAIN")).isEqualTo(538);
        assertThat(run("STARTTLS")).isInstanceOf(Step.StartTls.class);
        state.resetForTls();
        assertThat(code("AUTH PLAIN")).as("EHLO again after TLS").isEqualTo(503);
        code("EHLO client.test");
        assertThat(code("AUTH CRAM-MD5")).isEqualTo(504);
        assertThat(run("AUTH PLAIN AHNob3AAcGFzcw==")).isEqualTo(new Step.VerifyPassword("shop", "pass"));
        assertThat(run("AUTH LOGIN")).isInstanceOf(Step.Challenge.class);
        assertThat(commands.authResponse(state, "c2hvcA==")).isInstanceOf(Step.Challenge.class);
        assertThat(commands.authResponse(state, "cGFzcw==")).isEqualTo(new Step.VerifyPassword("shop", "pass"));
        run("AUTH PLAIN");
        assertThat(((Step.Reply) commands.authResponse(state, "*")).reply().code()).isEqualTo(501);
        run("AUTH PLAIN");
        assertThat(((Step.Reply) commands.authResponse(state, "!!notbase64")).reply().code()).isEqualTo(501);
        assertThat(((Step.Reply) run("AUTH PLAIN " + java.util.Base64.getEncoder()
                .encodeToString("other\0shop\0pass".getBytes()))).reply().code()).as("authzid of another user")
                .isEqualTo(535);
    }

    @Test
    void bdatIsAlwaysReadEvenWhenRefused() {
        code("EHLO client.test");
        assertThat(run("BDAT 10")).isEqualTo(new Step.StartChunk(10, false, false, true));
        code("MAIL FROM:<a@b.test>");
        code("RCPT TO:<c@d.test>");
        assertThat(run("BDAT 10")).isEqualTo(new Step.StartChunk(10, false, true, true));
        assertThat(run("BDAT 5 LAST")).isEqualTo(new Step.StartChunk(5, true, true, false));
        assertThat(code("DATA")).as("DATA after BDAT").isEqualTo(503);
        assertThat(run("BDAT ten")).isInstanceOf(Step.Close.class);
    }

    @Test
    void argumentsWhereNoneAreAllowed() {
        code("EHLO client.test");
        assertThat(code("RSET now")).isEqualTo(501);
        assertThat(code("QUIT please")).isEqualTo(501);
        assertThat(code("STARTTLS x")).isEqualTo(501);
        code("MAIL FROM:<a@b.test>");
        code("RCPT TO:<c@d.test>");
        assertThat(code("DATA x")).isEqualTo(501);
    }

    // ---- connected systems: the envelope sender (issue 15) -----------------------------------------------------

    private static final java.time.Instant T = java.time.Instant.EPOCH;
    private final SessionCommands withSystems = new SessionCommands(settings,
            new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))), () -> true, true,
            dev.relay.engine.policy.SuppressionCheck.NONE, () -> new dev.relay.engine.identity.Identities(
                    new dev.relay.storage.SystemRecords.Snapshot(List.of(), List.of(), List.of(
                            new dev.relay.storage.SystemRecords.SendingDomain("shop.example", "shop", true, null)))));

    private Step mail(String argument) {
        return withSystems.handle(state, new SmtpCommand(Verb.MAIL, argument, "MAIL " + argument));
    }

    @Test
    void anAuthenticatedSystemSendsOnlyFromItsOwnDomains() {
        withSystems.handle(state, new SmtpCommand(Verb.EHLO, "app.test", "EHLO app.test"));
        state.user = "shop";
        Step refused = mail("FROM:<ceo@crm.example>");
        assertThat(refused).isEqualTo(new Step.Refuse(Rejection.SENDER_DOMAIN,
                SmtpReply.of(550, "5.7.1", "sender domain crm.example is not a sending domain of system shop")));
        assertThat(state.transaction).isNull();
        assertThat(mail("FROM:<orders@eu.Shop.Example>")).isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.0", "Ok")));
        state.resetTransaction();
        assertThat(mail("FROM:<>")).as("RFC 5321 4.5.5 null sender: its header From is checked at the end of DATA")
                .isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.0", "Ok")));
        state.resetTransaction();
        state.user = "crm";
        assertThat(((Step.Refuse) mail("FROM:<orders@shop.example>")).reply().code()).isEqualTo(550);
    }

    @Test
    void aSessionWhoseSystemWasDisabledSinceAuthIsRefusedAtMail() {
        SessionCommands disabled = new SessionCommands(settings, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))),
                () -> true, true, dev.relay.engine.policy.SuppressionCheck.NONE,
                () -> new dev.relay.engine.identity.Identities(new dev.relay.storage.SystemRecords.Snapshot(
                        List.of(new dev.relay.storage.SystemRecords.SystemInfo("shop", false,
                                dev.relay.storage.Priority.TRANSACTIONAL, null, false, T, T)), List.of(), List.of(
                                new dev.relay.storage.SystemRecords.SendingDomain("shop.example", "shop", true,
                                        null)))));
        disabled.handle(state, new SmtpCommand(Verb.EHLO, "app.test", "EHLO app.test"));
        state.user = "shop";
        assertThat(disabled.handle(state, new SmtpCommand(Verb.MAIL, "FROM:<a@shop.example>", "MAIL")))
                .isEqualTo(new Step.Refuse(Rejection.SYSTEM_DISABLED,
                        SmtpReply.of(554, "5.7.1", "system shop is disabled")));
    }

    @Test
    void unauthenticatedRelayFromRelayNetworksIsNotChecked() {
        withSystems.handle(state, new SmtpCommand(Verb.EHLO, "app.test", "EHLO app.test"));
        assertThat(mail("FROM:<anyone@anywhere.example>")).isEqualTo(new Step.Reply(SmtpReply.of(250, "2.1.0", "Ok")));
    }
}
