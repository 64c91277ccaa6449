package dev.relay.engine.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.outcomes.BounceClassifier;
import dev.relay.engine.outcomes.BounceRules;
import dev.relay.protocol.report.BounceReportParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What each stored bounce sample (see README.md next to them: real ones from the Sisimai corpus, synthetic ones after
 * the providers' formats) means for the recipient its token names: parsed by the report parser, classified by the
 * shipped rules.
 */
public class IntakeVerdictTest {
    private static final BounceClassifier RULES = BounceRules.shipped();

    public static byte[] sample(String name) throws IOException {
        try (InputStream in = IntakeVerdictTest.class.getResourceAsStream(name)) {
            return Objects.requireNonNull(in, name).readAllBytes();
        }
    }

    @ParameterizedTest
    @CsvSource({
            "postfix-dsn.eml, bounced, authentication, soft, gmail-unauthenticated",
            "office365-dsn.eml, bounced, unknown_user, hard, microsoft-recipient-not-found",
            "exim-freetext.eml, bounced, unknown_user, hard, unknown-user",
            "gmail-freetext.eml, bounced, unknown_user, hard, unknown-user",
            "yahoo-freetext.eml, bounced, unknown_user, hard, yahoo-no-account",
            "qmail-freetext.eml, bounced, unknown_user, hard, unknown-user",
            "arf-complaint.eml, complaint, abuse, , ",
            "out-of-office.eml, auto_reply, Auto-Submitted: auto-replied, , "})
    void eachSampleGetsItsVerdict(String file, String kind, String what, String bounceClass, String rule)
            throws IOException {
        IntakeVerdict v = verdict(sample(file), "someone@example.test");
        switch (kind) {
            case "bounced" -> {
                assertThat(v).isInstanceOf(IntakeVerdict.Bounce.class);
                IntakeVerdict.Bounce b = (IntakeVerdict.Bounce) v;
                assertThat(b.failed()).isTrue();
                assertThat(b.classification().category().key()).isEqualTo(what);
                assertThat(b.classification().bounceClass().key()).isEqualTo(bounceClass);
                assertThat(b.classification().rule()).isEqualTo(rule);
            }
            case "complaint" -> assertThat(v).isEqualTo(new IntakeVerdict.Complaint(what, true));
            default -> assertThat(v).isEqualTo(new IntakeVerdict.AutoReply(what));
        }
    }

    @Test
    void theBlockOfTheTokensRecipientIsChosenElseTheFirstFailure() {
        byte[] dsn = dsn("Final-Recipient: rfc822; other@example.test\r\nAction: delivered\r\nStatus: 2.0.0\r\n"
                + "\r\nFinal-Recipient: rfc822; full@example.test\r\nAction: failed\r\nStatus: 5.2.2\r\n"
                + "Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n");
        assertThat(verdict(dsn, "OTHER@example.test")).isEqualTo(new IntakeVerdict.NotAFailure("delivered"));
        IntakeVerdict.Bounce b = (IntakeVerdict.Bounce) verdict(dsn, "someone-else@example.test");
        assertThat(b.classification().category().key()).isEqualTo("mailbox_full");
        assertThat(b.reply()).isEqualTo("552 5.2.2 Mailbox full");
    }

    @Test
    void aDelayNoticeIsNoFailureAndAStatusWithoutDiagnosticIsClassifiedByItself() {
        IntakeVerdict.Bounce delayed = (IntakeVerdict.Bounce) verdict(dsn("Final-Recipient: rfc822; a@example.test"
                + "\r\nAction: delayed\r\nStatus: 4.4.1\r\n"), "a@example.test");
        assertThat(delayed.failed()).isFalse();
        assertThat(delayed.classification().category().key()).isEqualTo("network");
        assertThat(delayed.classification().bounceClass().key()).isEqualTo("soft");
        IntakeVerdict.Bounce unknown = (IntakeVerdict.Bounce) verdict(dsn("Final-Recipient: rfc822; a@example.test"
                + "\r\nAction: failed\r\nStatus: 5.1.1\r\n"), "a@example.test");
        assertThat(unknown.failed()).isTrue();
        assertThat(unknown.classification().category().key()).isEqualTo("unknown_user");
        assertThat(unknown.classification().isHard()).isTrue();
    }

    @Test
    void somethingUnrecognisedIsKeptWithItsReason() {
        IntakeVerdict v = verdict("Subject: hello\r\n\r\nJust saying hello.\r\n".getBytes(StandardCharsets.UTF_8),
                "a@example.test");
        assertThat(v).isInstanceOf(IntakeVerdict.Keep.class);
        assertThat(((IntakeVerdict.Keep) v).reason()).isNotBlank();
    }

    private static IntakeVerdict verdict(byte[] report, String address) {
        return IntakeVerdict.of(new BounceReportParser().parse(report), address, RULES);
    }

    private static byte[] dsn(String recipientBlocks) {
        return ("From: MAILER-DAEMON@mx.example.test\r\nTo: b@bounces.example.test\r\nSubject: Delivery status\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
                + "\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
                + "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.test\r\n\r\n"
                + recipientBlocks + "\r\n--B--\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
