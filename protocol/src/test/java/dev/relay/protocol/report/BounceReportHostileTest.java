package dev.relay.protocol.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.protocol.report.BounceReport.Dsn;
import dev.relay.protocol.report.BounceReport.Unrecognised;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A bounce is hostile input: whatever arrives, the parser returns a value (never throws), reads a bounded number of
 * bytes, keeps bounded strings without control characters, and says which limit it reached.
 */
class BounceReportHostileTest {
    private static final BounceReportParser PARSER = new BounceReportParser();
    private static final String DSN_HEAD = """
            From: MAILER-DAEMON@mx.example
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="B"

            --B
            Content-Type: text/plain

            The mail system
            --B
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example

            Final-Recipient: rfc822; gone@example.com
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 no such user

            """;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Every string in the result (records print all their components) is free of control characters. */
    private static void assertClean(BounceReport report) {
        String all = report.toString();
        for (int i = 0; i < all.length(); i++) {
            assertThat(Character.isISOControl(all.charAt(i))).as("control character at %d in %s", i, all).isFalse();
        }
    }

    @Test
    void aTenMegabytePartIsNotReadBeyondTheInputLimit() {
        ByteArrayOutputStream mail = new ByteArrayOutputStream();
        mail.writeBytes(bytes(DSN_HEAD + "--B\nContent-Type: message/rfc822\n\nMessage-ID: <big@shop.example>\n\n"));
        byte[] line = bytes("x".repeat(76) + "\n");
        for (int i = 0; i < 10 * 1024 * 1024 / line.length; i++) {
            mail.writeBytes(line);
        }
        mail.writeBytes(bytes("--B--\n"));
        CountingStream in = new CountingStream(mail.toByteArray());
        Dsn dsn = (Dsn) PARSER.parse(in);
        assertThat(dsn.recipients()).hasSize(1);
        assertThat(dsn.recipients().get(0).finalRecipient()).isEqualTo("gone@example.com");
        assertThat(dsn.originalHeaders()).containsExactly(new HeaderField("Message-ID", "<big@shop.example>"));
        assertThat(dsn.limits()).contains(Limit.INPUT_SIZE, Limit.LENGTH);
        assertThat(in.read).isLessThanOrEqualTo(ReportLimits.DEFAULTS.maxInputBytes() + 1);
    }

    @Test
    void aTenMegabyteLineWithoutNewlineEndsInALimitNotAnException() {
        byte[] huge = new byte[10 * 1024 * 1024];
        java.util.Arrays.fill(huge, (byte) 'a');
        String head = "From: MAILER-DAEMON@mx.example\nSubject: failure notice\nContent-Type: text/plain\n\n";
        CountingStream in = new CountingStream(concat(bytes(head), huge));
        BounceReport report = PARSER.parse(in);
        assertThat(report).isInstanceOf(BounceReport.FreeText.class);
        assertThat(((BounceReport.FreeText) report).text()).hasSize(ReportLimits.DEFAULTS.maxTextChars());
        assertThat(report.limits()).containsExactly(Limit.LENGTH);
        // a single-part body is read up to maxPartBytes and the rest left unread
        assertThat(in.read).isLessThanOrEqualTo(ReportLimits.DEFAULTS.maxPartBytes() + 64 * 1024);
        // the same in a header line: the MIME parser's line limit
        BounceReport header = PARSER.parse(concat(bytes("Subject: "), huge));
        assertThat(header).isInstanceOf(Unrecognised.class);
        assertThat(header.limits()).contains(Limit.HEADERS);
    }

    @Test
    void tenThousandRecipientsAreCutAtTheLimit() {
        StringBuilder mail = new StringBuilder(DSN_HEAD);
        for (int i = 0; i < 10_000; i++) {
            mail.append("Final-Recipient: rfc822; user").append(i).append("@example.com\nAction: failed\n")
                    .append("Status: 5.1.1\n\n");
        }
        mail.append("--B--\n");
        Dsn dsn = (Dsn) PARSER.parse(bytes(mail.toString()));
        assertThat(dsn.recipients()).hasSize(ReportLimits.DEFAULTS.maxRecipients());
        assertThat(dsn.recipients().get(0).finalRecipient()).isEqualTo("gone@example.com");
        assertThat(dsn.recipients().get(99).finalRecipient()).isEqualTo("user98@example.com");
        assertThat(dsn.limits()).contains(Limit.RECIPIENTS);
    }

    @Test
    void nulCrAndOtherControlsNeverReachAValue() {
        String mail = DSN_HEAD.replace("Subject: Undelivered", "Subject: Undelivered\u0000\u001b[31m")
                .replace("gone@example.com", "gone\u0000@exa\rmple.com")
                .replace("550 5.1.1 no such user", "550 5.1.1 no\u0007 such\r user\u0085 \u202e")
                + "--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: <a\u0000b@c>\nX-Evil: \u0001\u0002\u007f\n--B--\n";
        Dsn dsn = (Dsn) PARSER.parse(bytes(mail));
        assertClean(dsn);
        assertThat(dsn.recipients().get(0).finalRecipient()).isEqualTo("gone @exa mple.com");
        assertThat(dsn.recipients().get(0).diagnosticText()).isEqualTo("550 5.1.1 no such user");
        assertThat(dsn.originalHeaders()).contains(new HeaderField("Message-ID", "<a b@c>"));
        BounceReport free = PARSER.parse(bytes("From: MAILER-DAEMON@x\nSubject: failure\u0000 notice\r\u0007\n\n"
                + "Hi. This is the qmail-send program\u0000\u001b at x.\r\n"));
        assertThat(free).isInstanceOf(BounceReport.FreeText.class);
        assertClean(free);
    }

    @Test
    void longFieldsAreCut() {
        String mail = DSN_HEAD.replace("no such user", "x".repeat(100_000));
        Dsn dsn = (Dsn) PARSER.parse(bytes(mail));
        assertThat(dsn.recipients().get(0).diagnosticText()).hasSizeLessThanOrEqualTo(1000);
        assertThat(dsn.limits()).contains(Limit.LENGTH);
    }

    @Test
    void deeplyNestedMultipartsStopAtTheDepthLimit() {
        StringBuilder mail = new StringBuilder("From: MAILER-DAEMON@mx.example\nSubject: x\n");
        for (int i = 0; i < 10_000; i++) {
            mail.append("Content-Type: multipart/mixed; boundary=\"b").append(i).append("\"\n\n--b").append(i)
                    .append('\n');
        }
        mail.append("Content-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b\nAction: failed\n");
        BounceReport report = PARSER.parse(bytes(mail.toString()));
        assertThat(report).isInstanceOf(BounceReport.FreeText.class); // the daemon sender; the DSN is too deep
        assertThat(report.limits()).contains(Limit.DEPTH);
        BounceReport anonymous = PARSER.parse(bytes(mail.toString().replace("MAILER-DAEMON", "someone")));
        assertThat(anonymous).isInstanceOf(Unrecognised.class);
        assertThat(((Unrecognised) anonymous).reason()).contains("DEPTH");
    }

    @Test
    void manyPartsStopAtThePartLimit() {
        StringBuilder mail = new StringBuilder("From: a@b\nSubject: x\nContent-Type: multipart/mixed; boundary=B\n\n");
        for (int i = 0; i < 10_000; i++) {
            mail.append("--B\nContent-Type: text/plain\n\npart ").append(i).append('\n');
        }
        mail.append("--B--\n");
        BounceReport report = PARSER.parse(bytes(mail.toString()));
        assertThat(report).isInstanceOf(Unrecognised.class);
        assertThat(report.limits()).contains(Limit.PARTS);
    }

    @Test
    void aBoundaryNeverClosedKeepsWhatCameBefore() {
        Dsn dsn = (Dsn) PARSER.parse(bytes(DSN_HEAD)); // no closing --B--, no further part
        assertThat(dsn.recipients()).hasSize(1);
        assertThat(dsn.recipients().get(0).status()).hasToString("5.1.1");
        BounceReport never = PARSER.parse(bytes("From: a@b\nSubject: x\n"
                + "Content-Type: multipart/report; report-type=delivery-status; boundary=NEVER\n\n"
                + "Final-Recipient: rfc822; a@b\nAction: failed\n"));
        assertThat(never).isInstanceOf(Unrecognised.class);
    }

    @Test
    void tooManyHeaderFieldsEndInALimit() {
        StringBuilder mail = new StringBuilder();
        for (int i = 0; i < 100_000; i++) {
            mail.append("X-H").append(i).append(": v\n");
        }
        mail.append("\nbody\n");
        BounceReport report = PARSER.parse(bytes(mail.toString()));
        assertThat(report).isInstanceOf(Unrecognised.class);
        assertThat(report.limits()).contains(Limit.HEADERS);
    }

    @Test
    void reportPartsWithoutTheirRequiredFieldsAreUnrecognised() {
        assertThat(PARSER.parse(bytes(DSN_HEAD.replace("Final-Recipient: rfc822; gone@example.com\nAction: failed\n",
                "")))).isInstanceOf(Unrecognised.class);
        String arf = "Content-Type: multipart/report; report-type=feedback-report; boundary=B\n\n--B\n"
                + "Content-Type: message/feedback-report\n\nUser-Agent: x\n--B--\n";
        assertThat(PARSER.parse(bytes(arf))).isEqualTo(
                new Unrecognised("a feedback-report part without Feedback-Type", java.util.Set.of()));
    }

    @Test
    void randomBytesAndMutatedSamplesNeverThrow() {
        Random random = new Random(3464);
        String[] samples = {"postfix-dsn.eml", "office365-dsn.eml", "arf-complaint.eml", "qmail-freetext.eml"};
        for (int i = 0; i < 2000; i++) {
            byte[] input;
            if (i % 2 == 0) {
                input = new byte[random.nextInt(4096)];
                random.nextBytes(input);
            } else {
                input = BounceReportParserTest.sample(samples[i % samples.length]).clone();
                for (int j = 0; j < 1 + random.nextInt(20); j++) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
            }
            BounceReport report = PARSER.parse(input);
            assertThat(report).isNotNull();
            assertClean(report);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Counts the bytes the parser pulled. */
    private static final class CountingStream extends InputStream {
        private final byte[] data;
        long read;

        CountingStream(byte[] data) {
            this.data = data;
        }

        @Override
        public int read() {
            return read < data.length ? data[(int) read++] & 0xFF : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (read >= data.length) {
                return -1;
            }
            int n = (int) Math.min(len, data.length - read);
            System.arraycopy(data, (int) read, b, off, n);
            read += n;
            return n;
        }
    }
}
