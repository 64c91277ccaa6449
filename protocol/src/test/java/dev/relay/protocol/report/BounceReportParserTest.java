package dev.relay.protocol.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.report.BounceReport.AutoReply;
import dev.relay.protocol.report.BounceReport.Dsn;
import dev.relay.protocol.report.BounceReport.FeedbackReport;
import dev.relay.protocol.report.BounceReport.FreeText;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Real and synthetic bounces (see the README next to the samples for which is which), field by field. */
class BounceReportParserTest {
    private static final BounceReportParser PARSER = new BounceReportParser();

    static byte[] sample(String name) {
        try (InputStream in = BounceReportParserTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String header(List<HeaderField> fields, String name) {
        return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).map(HeaderField::value).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + fields));
    }

    @Test
    void postfixDsn() {
        Dsn dsn = (Dsn) PARSER.parse(sample("postfix-dsn.eml"));
        assertThat(dsn.reportingMta()).isEqualTo("smtp.example.jp");
        assertThat(dsn.arrivalDate()).isEqualTo(Instant.parse("2020-11-13T00:42:35Z"));
        assertThat(dsn.recipients()).containsExactly(new DsnRecipient("kijitora@google.example.com",
                "kijitora@google.example.com", DsnAction.FAILED, new EnhancedStatus(5, 7, 26), "smtp",
                "550-5.7.26 Unauthenticated email from libsisimai.org is not accepted due to 550-5.7.26 domain's "
                        + "DMARC policy. Please contact the administrator of 550-5.7.26 libsisimai.org domain if this "
                        + "was a legitimate mail. Please visit 550-5.7.26 https://support.google.com/mail/answer/"
                        + "2451690 to learn about the 550 5.7.26 DMARC initiative. z2si1584129pfn.61 - gsmtp",
                "gmail-smtp-in.l.google.com", null));
        assertThat(dsn.text()).startsWith("This is the mail system at host smtp.example.jp. I'm sorry")
                .endsWith("DMARC initiative. z2si1584129pfn.61 - gsmtp (in reply to end of DATA command)");
        assertThat(dsn.originalHeaders()).extracting(HeaderField::name)
                .containsExactly("Return-Path", "Received", "Subject", "From", "To", "Message-Id", "Date");
        assertThat(header(dsn.originalHeaders(), "Message-Id"))
                .isEqualTo("<20201113004243.AF578C0196A@smtp.example.jp>");
        assertThat(header(dsn.originalHeaders(), "Received")).isEqualTo("from [127.0.0.1] (localhost [127.0.0.1]) "
                + "by smtp.example.jp (Postfix) with ESMTP id AF578C0196A for <kijitora@google.example.com>; "
                + "Fri, 13 Nov 2020 09:42:35 +0900 (JST)");
        assertThat(dsn.limits()).isEmpty();
    }

    @Test
    void office365Dsn() {
        Dsn dsn = (Dsn) PARSER.parse(sample("office365-dsn.eml"));
        assertThat(dsn.reportingMta()).isEqualTo("AM0PR01MB1234.eurprd01.prod.exchangelabs.com");
        assertThat(dsn.arrivalDate()).isEqualTo(Instant.parse("2026-12-04T21:10:02Z"));
        assertThat(dsn.recipients()).containsExactly(new DsnRecipient("nobody@contoso.example", null,
                DsnAction.FAILED, new EnhancedStatus(5, 1, 10), "smtp",
                "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.example not found by SMTP "
                        + "address lookup", null, null));
        assertThat(dsn.text()).isEqualTo("Your message to nobody@contoso.example couldn't be delivered. nobody "
                + "wasn't found at contoso.example. Remote Server returned '550 5.1.10 "
                + "RESOLVER.ADR.RecipientNotFound; Recipient nobody@contoso.example not found by SMTP address lookup'");
        assertThat(dsn.originalHeaders()).extracting(HeaderField::name).containsExactly("Received", "Return-Path",
                "From", "To", "Subject", "Date", "Message-ID", "X-Relay-Queue-ID", "MIME-Version", "Content-Type");
        assertThat(header(dsn.originalHeaders(), "Return-Path")).isEqualTo("b+token@bounces.relay.example");
        assertThat(header(dsn.originalHeaders(), "X-Relay-Queue-ID")).isEqualTo("01JEAB7Q5V4Z3M2N1P0R9S8T7W");
        assertThat(header(dsn.originalHeaders(), "Message-ID")).isEqualTo("<invoice-2026-0042@shop.example>");
        assertThat(dsn.limits()).isEmpty();
    }

    @Test
    void arfComplaint() {
        FeedbackReport arf = (FeedbackReport) PARSER.parse(sample("arf-complaint.eml"));
        assertThat(arf.feedbackType()).isEqualTo("abuse");
        assertThat(arf.userAgent()).isEqualTo("ReturnPathFBL/1.0");
        assertThat(arf.version()).isEqualTo("1");
        assertThat(arf.originalMailFrom()).isEqualTo("fake.sender@example.net");
        assertThat(arf.originalRcptTo()).isEmpty();
        assertThat(arf.arrivalDate()).isEqualTo(Instant.parse("2014-12-12T13:09:00Z"));
        assertThat(arf.sourceIp()).isEqualTo("192.0.2.8");
        assertThat(arf.reportedDomains()).isEmpty();
        assertThat(arf.originalHeaders()).extracting(HeaderField::name)
                .containsExactly("Return-Path", "Received", "Date", "To", "From", "Subject", "Message-ID");
        assertThat(header(arf.originalHeaders(), "Message-ID"))
                .isEqualTo("<f6fbba8a761ce682e1b00a323a21b372@example.net>");
        assertThat(header(arf.originalHeaders(), "Return-Path")).isEqualTo("<fake.sender@example.net>");
        assertThat(arf.limits()).isEmpty();
    }

    @Test
    void arfWithEveryFieldAndRepeatedOnes() {
        String mail = """
                From: <staff@hotmail.example>
                To: <b+token@bounces.relay.example>
                Subject: complaint
                MIME-Version: 1.0
                Content-Type: multipart/report; report-type=feedback-report; boundary="x"

                --x
                Content-Type: text/plain

                This is an email abuse report.
                --x
                Content-Type: message/feedback-report

                Feedback-Type: abuse
                User-Agent: SomeGenerator/1.0
                Version: 1
                Original-Mail-From: <b+token@bounces.relay.example>
                Original-Rcpt-To: <user@hotmail.example>
                Original-Rcpt-To: <other@hotmail.example>
                Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT
                Source-IP: 192.0.2.1
                Reported-Domain: shop.example
                Reported-Domain: relay.example

                --x
                Content-Type: text/rfc822-headers

                From: <orders@shop.example>
                Message-ID: <8787KJKJ3K4J3K4J3K4J3.mail@shop.example>
                X-Relay-Queue-ID: 01JEAB7Q5V4Z3M2N1P0R9S8T7W
                --x--
                """;
        FeedbackReport arf = (FeedbackReport) PARSER.parse(mail.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(arf.feedbackType()).isEqualTo("abuse");
        assertThat(arf.userAgent()).isEqualTo("SomeGenerator/1.0");
        assertThat(arf.originalMailFrom()).isEqualTo("b+token@bounces.relay.example");
        assertThat(arf.originalRcptTo()).containsExactly("user@hotmail.example", "other@hotmail.example");
        assertThat(arf.arrivalDate()).isEqualTo(Instant.parse("2005-03-08T18:00:00Z"));
        assertThat(arf.sourceIp()).isEqualTo("192.0.2.1");
        assertThat(arf.reportedDomains()).containsExactly("shop.example", "relay.example");
        assertThat(header(arf.originalHeaders(), "X-Relay-Queue-ID")).isEqualTo("01JEAB7Q5V4Z3M2N1P0R9S8T7W");
        assertThat(arf.limits()).isEmpty();
    }

    @Test
    void qmailFreeText() {
        FreeText bounce = (FreeText) PARSER.parse(sample("qmail-freetext.eml"));
        assertThat(bounce.subject()).isEqualTo("failure notice");
        assertThat(bounce.text()).isEqualTo("Hi. This is the qmail-send program at mx4.example.jp. I'm afraid I "
                + "wasn't able to deliver your message to the following addresses. This is a permanent error; I've "
                + "given up. Sorry it didn't work out. <kijitora@example.ne.jp>: Sorry, no SMTP connection got far "
                + "enough; most progress was RCPT TO response; remote host 192.0.2.32 said: 550 Unknown user "
                + "kijitora@example.ne.jp . (#5.5.0) (Other MXes tried: 192.0.2.32 said 550 for RCPT TO response; "
                + "192.0.2.40 said 550 for RCPT TO response; 192.0.2.12 said 550 for RCPT TO response; 192.0.2.24 "
                + "said 550 for RCPT TO response.)");
        assertThat(bounce.failedRecipients()).isEmpty();
        assertThat(bounce.originalHeaders()).extracting(HeaderField::name).containsExactly("Return-Path",
                "Received", "Delivered-To", "Received", "Received", "Message-ID", "Date", "From", "Reply-To", "To",
                "Subject", "MIME-Version", "Content-Type", "Content-Transfer-Encoding");
        assertThat(header(bounce.originalHeaders(), "Message-ID"))
                .isEqualTo("<000000000.9999999999999.JavaMail.postmaster@mailhub>");
        assertThat(bounce.limits()).isEmpty();
    }

    @Test
    void eximFreeTextDespiteAutoSubmitted() {
        FreeText bounce = (FreeText) PARSER.parse(sample("exim-freetext.eml"));
        assertThat(bounce.subject()).isEqualTo("Mail delivery failed: returning message to sender");
        assertThat(bounce.failedRecipients()).containsExactly("kijitora@example.jp", "sabatora@example.jp");
        assertThat(bounce.text()).startsWith("This message was created automatically by mail delivery software.")
                .contains("host mx.example.jp [192.0.2.153]: 550 5.1.1 <kijitora@example.jp>... User Unknown")
                .endsWith("550 5.2.1 <sabatora@example.jp>... User Unknown");
        assertThat(bounce.originalHeaders()).extracting(HeaderField::name)
                .containsExactly("Return-path", "Received", "Date", "Message-Id", "Subject", "From");
        assertThat(header(bounce.originalHeaders(), "Message-Id"))
                .isEqualTo("<E1X58pB-0004bW-2s@marutamachi.example.org>");
        assertThat(bounce.limits()).isEmpty();
    }

    @Test
    void gmailFreeTextQuotedPrintable() {
        FreeText bounce = (FreeText) PARSER.parse(sample("gmail-freetext.eml"));
        assertThat(bounce.subject()).isEqualTo("Delivery Status Notification (Failure)");
        assertThat(bounce.failedRecipients()).containsExactly("aougoueioaldljgoiuiorghladkgke@example.fr");
        assertThat(bounce.text()).isEqualTo("Delivery to the following recipient failed permanently: "
                + "aougoueioaldljgoiuiorghladkgke@example.fr Technical details of permanent failure: Google tried to "
                + "deliver your message, but it was rejected by the recipient domain. We recommend contacting the "
                + "other email provider for further information about the cause of this error. The error that the "
                + "other server returned was: 550 550 5.1.1 user unknown (UserSearch) (state 14).");
        assertThat(bounce.originalHeaders()).extracting(HeaderField::name).containsExactly("Received",
                "Return-Path", "Received", "Message-Id", "From", "To", "Content-Type", "Content-Transfer-Encoding",
                "Mime-Version", "Subject", "Date", "X-Mailer");
        assertThat(header(bounce.originalHeaders(), "Message-Id"))
                .isEqualTo("<45B7FBD7-1218-4FCD-ACA1-4706F111E682@gmail.com>");
        assertThat(header(bounce.originalHeaders(), "Content-Type"))
                .isEqualTo("text/plain; charset=US-ASCII; format=flowed");
    }

    @Test
    void yahooFreeText() {
        FreeText bounce = (FreeText) PARSER.parse(sample("yahoo-freetext.eml"));
        assertThat(bounce.subject()).isEqualTo("Failure Notice");
        assertThat(bounce.text()).isEqualTo("Sorry, we were unable to deliver your message to the following address. "
                + "<gone.away@yahoo.com>: 554: delivery error: dd This user doesn't have a yahoo.com account "
                + "(gone.away@yahoo.com) [0] - mta1042.mail.gq1.yahoo.com");
        assertThat(bounce.failedRecipients()).isEmpty();
        assertThat(bounce.originalHeaders()).extracting(HeaderField::name).containsExactly("Received",
                "Return-Path", "From", "To", "Subject", "Message-ID", "X-Relay-Queue-ID", "Date");
        assertThat(header(bounce.originalHeaders(), "X-Relay-Queue-ID")).isEqualTo("01JEABCDEF0123456789ABCDEF");
        assertThat(header(bounce.originalHeaders(), "Return-Path")).isEqualTo("<b+token@bounces.relay.example>");
    }

    @Test
    void outOfOffice() {
        AutoReply reply = (AutoReply) PARSER.parse(sample("out-of-office.eml"));
        assertThat(reply.reason()).isEqualTo("Auto-Submitted: auto-replied");
        assertThat(reply.subject()).isEqualTo("Abwesenheitsnotiz: Ihre Bestellung");
        assertThat(reply.limits()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Autoreply: yes\nSubject: Re: your order", "X-Autorespond: 1\nSubject: hi",
            "Precedence: auto_reply\nSubject: hi", "Subject: Out of Office: your order",
            "Subject: Automatic reply: Your invoice", "Subject: Abwesenheitsnotiz: Bestellung",
            "Subject: =?utf-8?B?UsOpcG9uc2UgYXV0b21hdGlxdWUgOiBjb21tYW5kZQ==?="})
    void autoReplyHeuristics(String headers) {
        String mail = "From: Someone <someone@example.com>\n" + headers + "\n\nI am away until Monday.\n";
        assertThat(PARSER.parse(mail.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AutoReply.class);
    }

    @Test
    void anOrdinaryMailIsUnrecognised() {
        String mail = "From: Someone <someone@example.com>\nSubject: Question about my order\n\nWhere is it?\n";
        assertThat(PARSER.parse(mail.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))
                .isEqualTo(new BounceReport.Unrecognised(
                        "neither a report part nor the marks of a bounce or an automatic reply", java.util.Set.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postfix-dsn.eml", "office365-dsn.eml", "arf-complaint.eml", "qmail-freetext.eml",
            "exim-freetext.eml", "gmail-freetext.eml", "yahoo-freetext.eml", "out-of-office.eml"})
    void aStreamDeliveringOneByteAtATimeGivesTheSameResult(String name) {
        byte[] bytes = sample(name);
        InputStream trickle = new FilterInputStream(new java.io.ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        assertThat(PARSER.parse(trickle)).isEqualTo(PARSER.parse(bytes));
        String crlf = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\n", "\r\n");
        assertThat(PARSER.parse(crlf.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
                .isEqualTo(PARSER.parse(bytes));
    }
}
