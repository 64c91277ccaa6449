package dev.relay.engine.bounce;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * Writes a delivery status notification (RFC 3464) in a {@code multipart/report} (RFC 6522): a human-readable
 * explanation, the machine-readable {@code message/delivery-status}, and the original's header section. The
 * structure is fixed, so it is written directly rather than through a MIME library; tests parse it back.
 *
 * <p>When an address or the original's header section is not ASCII (an SMTPUTF8 original), the report uses the
 * RFC 6533 forms instead: {@code message/global-delivery-status} with {@code utf-8} address types and, for 8-bit
 * headers, {@code message/global-headers}; such a DSN needs 8BITMIME, and SMTPUTF8 only if the sender's address is
 * UTF-8 ({@link DsnMessage} says which). Otherwise it is 7-bit, remote text included.
 *
 * <p>Text from remote servers is cleaned by {@link FieldText}: it cannot add a line, a field or a boundary.
 */
public final class DsnBuilder {
    static final String SUBJECT = "Undelivered Mail Returned to Sender";
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);
    private static final String CRLF = "\r\n";
    private static final String EIGHT_BIT = "Content-Transfer-Encoding: 8bit" + CRLF;

    private final Clock clock;
    private final RandomGenerator random;

    /** The system clock, and ids from {@link ThreadLocalRandom}: unique enough, never blocking an event loop. */
    public DsnBuilder() {
        this(Clock.systemUTC());
    }

    /** {@code clock} dates the DSN; ids from {@link ThreadLocalRandom}. */
    public DsnBuilder(Clock clock) {
        this(clock, () -> ThreadLocalRandom.current().nextLong());
    }

    /** {@code clock} dates the DSN; {@code random} makes its Message-ID and MIME boundary. */
    public DsnBuilder(Clock clock, RandomGenerator random) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
    }

    /** False for the null reverse path: a bounce is never bounced (RFC 5321 4.5.5), nor is its failure reported. */
    public static boolean needsDsn(String reversePath) {
        return !reversePath.isEmpty();
    }

    public DsnMessage build(Dsn dsn) {
        byte[] headers = dsn.originalHeaders();
        boolean headers8bit = has8bit(headers);
        boolean senderUtf8 = !isAscii(dsn.originalSender());
        boolean global = senderUtf8 || headers8bit || dsn.recipients().stream().anyMatch(r -> !isAscii(r.address()));
        byte[] explanation = explanation(dsn, global).getBytes(StandardCharsets.UTF_8);
        byte[] status = deliveryStatus(dsn, global).getBytes(StandardCharsets.UTF_8);
        String boundary = boundary(explanation, status, headers);
        boolean body8bit = headers8bit || has8bit(explanation) || has8bit(status);
        String report = (global ? "global-" : "") + "delivery-status";

        ByteArrayOutputStream out = new ByteArrayOutputStream(explanation.length + status.length + headers.length
                + 1024);
        write(out, "From: Mail Delivery System <MAILER-DAEMON@" + dsn.reportingMta() + ">" + CRLF
                + "To: <" + dsn.originalSender() + ">" + CRLF
                + "Subject: " + SUBJECT + CRLF
                + "Date: " + DATE.format(clock.instant()) + CRLF
                + "Message-ID: <" + dsn.originalId() + "." + Long.toHexString(random.nextLong()) + "@"
                + dsn.reportingMta() + ">" + CRLF
                + "Auto-Submitted: auto-replied" + CRLF
                + "MIME-Version: 1.0" + CRLF
                + "Content-Type: multipart/report; report-type=" + report + ";" + CRLF
                + "\tboundary=\"" + boundary + "\"" + CRLF
                + (body8bit ? EIGHT_BIT : "")
                + CRLF
                + "This is a MIME-encapsulated delivery status notification." + CRLF);
        part(out, boundary, "text/plain; charset=" + (global ? "utf-8" : "us-ascii"), explanation);
        part(out, boundary, "message/" + report, status);
        part(out, boundary, headers8bit ? "message/global-headers" : "text/rfc822-headers", headers);
        write(out, CRLF + "--" + boundary + "--" + CRLF);
        return new DsnMessage(dsn.originalSender(), out.toByteArray(), body8bit, senderUtf8);
    }

    /** Per recipient: address and what went wrong, in words. */
    private static String explanation(Dsn dsn, boolean utf8) {
        StringBuilder text = new StringBuilder(256 + 160 * dsn.recipients().size())
                .append("This is the mail system at ").append(dsn.reportingMta()).append('.').append(CRLF)
                .append(CRLF)
                .append("Your message could not be delivered to the recipients below. Its header").append(CRLF)
                .append("section is attached.").append(CRLF);
        for (FailedRecipient r : dsn.recipients()) {
            text.append(CRLF).append(FieldText.fold("<" + r.address() + ">:", explain(r.why(), utf8), "    "));
        }
        return text.toString();
    }

    private static String explain(BounceStatus why, boolean utf8) {
        String diagnostic = FieldText.clean(why.diagnostic().text(), utf8);
        String host = why.remoteHost();
        String what;
        if (host == null) {
            what = diagnostic;
        } else if (why.diagnostic() instanceof Diagnostic.RemoteReply) {
            what = "host " + FieldText.clean(host, false) + " said: " + diagnostic;
        } else {
            what = "delivery to host " + FieldText.clean(host, false) + " failed: " + diagnostic;
        }
        return why.expired() ? "delivery time expired, gave up. Last error: " + what : what;
    }

    /** RFC 3464 2.2 per-message fields, then 2.3 per-recipient fields, blocks separated by an empty line. */
    private static String deliveryStatus(Dsn dsn, boolean global) {
        StringBuilder fields = new StringBuilder(128 + 320 * dsn.recipients().size())
                .append("Reporting-MTA: dns; ").append(dsn.reportingMta()).append(CRLF)
                .append("X-Relay-Queue-ID: ").append(dsn.originalId()).append(CRLF)
                .append("Arrival-Date: ").append(DATE.format(dsn.arrival())).append(CRLF);
        for (FailedRecipient r : dsn.recipients()) {
            BounceStatus why = r.why();
            // RFC 6533 3: a non-ASCII address is of type utf-8, and only appears in the global form
            fields.append(CRLF)
                    .append("Final-Recipient: ").append(isAscii(r.address()) ? "rfc822; " : "utf-8; ")
                    .append(r.address()).append(CRLF)
                    .append("Action: failed").append(CRLF)
                    .append("Status: ").append(why.status()).append(CRLF);
            if (why.remoteHost() != null) {
                fields.append("Remote-MTA: dns; ").append(FieldText.clean(why.remoteHost(), false)).append(CRLF);
            }
            if (why.diagnostic() instanceof Diagnostic.RemoteReply reply) {
                fields.append(FieldText.fold("Diagnostic-Code: smtp;", FieldText.clean(reply.text(), global), " "));
            }
            fields.append("Last-Attempt-Date: ").append(DATE.format(r.lastAttempt())).append(CRLF);
        }
        return fields.toString();
    }

    private static void part(ByteArrayOutputStream out, String boundary, String contentType, byte[] body) {
        write(out, CRLF + "--" + boundary + CRLF + "Content-Type: " + contentType + CRLF
                + (has8bit(body) ? EIGHT_BIT : "") + CRLF);
        out.writeBytes(body);
    }

    /** Random, and checked against the content: a boundary must not occur in what it encloses (RFC 2046 5.1.1). */
    private String boundary(byte[]... parts) {
        for (int attempt = 0; attempt < 16; attempt++) {
            String boundary = "=_dsn_" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong());
            byte[] bytes = boundary.getBytes(StandardCharsets.US_ASCII);
            boolean clash = false;
            for (byte[] part : parts) {
                clash |= indexOf(part, bytes) >= 0;
            }
            if (!clash) {
                return boundary;
            }
        }
        throw new IllegalStateException("no MIME boundary free of the content after 16 random tries");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static boolean isAscii(String text) {
        return text.chars().allMatch(c -> c < 0x80);
    }

    private static boolean has8bit(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return true;
            }
        }
        return false;
    }

    private static void write(ByteArrayOutputStream out, String text) {
        out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    }
}
