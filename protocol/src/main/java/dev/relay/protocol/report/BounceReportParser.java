package dev.relay.protocol.report;

import dev.relay.protocol.EnhancedStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.io.MaxHeaderLengthLimitException;
import org.apache.james.mime4j.io.MaxHeaderLimitException;
import org.apache.james.mime4j.io.MaxLineLimitException;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;
import org.jspecify.annotations.Nullable;

/**
 * Parses what arrives at the bounce domain into a {@link BounceReport}, with Mime4j's streaming parser. Decides in
 * this order: a {@code message/feedback-report} part makes an ARF report, a {@code message/delivery-status} (or
 * RFC 6533 {@code message/global-delivery-status}) part a DSN; without either, the marks of a bounce (a daemon
 * sender, a bounce subject, the wording of qmail, Exim, Gmail...) make {@link BounceReport.FreeText}, and then the
 * marks of an automatic reply (RFC 3834 {@code Auto-Submitted: auto-replied}, {@code X-Autoreply},
 * {@code X-Autorespond}, {@code Precedence: auto_reply}, vacation subjects) an {@link BounceReport.AutoReply} (bounces
 * say {@code auto-replied} too, hence the order). Everything else is {@link BounceReport.Unrecognised}.
 *
 * <p>Work and memory are bounded by {@link ReportLimits}; no input makes {@link #parse} throw. Immutable and
 * thread-safe; a parse is CPU only (no I/O when given bytes), so it may run on a Reactor parallel thread.
 */
public final class BounceReportParser {
    private static final Pattern AUTO_REPLY_SUBJECT = Pattern.compile(
            "out of (the )?office|automatic reply|auto[- ]?reply|auto[- ]?response|autoresponder|abwesenheit"
                    + "|automatische antwort|r\u00e9ponse automatique|reponse automatique|respuesta autom\u00e1tica"
                    + "|risposta automatica|automatisch antwoord|afwezig|on vacation|vacation reply|away from (the )?office",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern BOUNCE_SUBJECT = Pattern.compile(
            "undeliver|undelivered mail|delivery status notification|failure notice|delivery failure"
                    + "|mail delivery failed|returned mail|delivery has failed|could not be delivered|non[- ]?delivery"
                    + "|unzustellbar|nicht zugestellt|non remis|delivery notification",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern BOUNCE_SENDER = Pattern.compile("mailer-daemon|mail delivery (system|subsystem)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern BOUNCE_TEXT = Pattern.compile(
            "this is the qmail-send program|created automatically by mail delivery software"
                    + "|could not be delivered to one or more|delivery to the following recipients? failed"
                    + "|i'm afraid i wasn't able to deliver|this is a permanent error|the mail system",
            Pattern.CASE_INSENSITIVE);
    /** Where free-text bounces start the returned message (qmail, Exim, Gmail, Sendmail, Courier...). */
    private static final Pattern ORIGINAL_MARKER = Pattern.compile(
            "^(?:-+ ?Below this line is a copy of the message\\.?"
                    + "|-+ This is a copy of (?:the|your) message.*"
                    + "|-+ ?Original message ?-+"
                    + "|-+ ?Original message follows\\.? ?-*"
                    + "|-+ ?The header of the original message is following\\.? ?-*)\\s*$",
            Pattern.CASE_INSENSITIVE | Pattern.MULTILINE);
    /** RFC 5322 4.3: the obsolete zone names, which {@link DateTimeFormatter#RFC_1123_DATE_TIME} lacks. */
    private static final Map<String, String> OBSOLETE_ZONES = Map.of("UT", "+0000", "EST", "-0500", "EDT", "-0400",
            "CST", "-0600", "CDT", "-0500", "MST", "-0700", "MDT", "-0600", "PST", "-0800", "PDT", "-0700");
    private static final Pattern TAG = Pattern.compile("<[^<>]{0,2000}>");

    private final ReportLimits limits;

    public BounceReportParser(ReportLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public BounceReportParser() {
        this(ReportLimits.DEFAULTS);
    }

    public BounceReport parse(byte[] message) {
        return parse(new ByteArrayInputStream(message));
    }

    /** Reads at most {@link ReportLimits#maxInputBytes()} of {@code message}; does not close it. */
    public BounceReport parse(InputStream message) {
        Scan scan = new Scan();
        CappedInputStream in = new CappedInputStream(message, limits.maxInputBytes());
        try {
            scan(in, scan);
        } catch (MimeException | IOException | RuntimeException e) {
            // a limit or a broken structure ends the scan; what came before it still counts
            scan.limits.add(limitOf(e));
        }
        if (in.capped()) {
            scan.limits.add(Limit.INPUT_SIZE);
        }
        try {
            return decide(scan);
        } catch (RuntimeException e) {
            scan.limits.add(Limit.MALFORMED);
            return new BounceReport.Unrecognised("the report could not be read", scan.limits);
        }
    }

    /** What one scan found; confined to the thread of one {@link #parse} call. */
    private static final class Scan {
        final Set<Limit> limits = EnumSet.noneOf(Limit.class);
        final List<HeaderField> top = new ArrayList<>();
        @Nullable String status;
        @Nullable String feedback;
        @Nullable String plain;
        @Nullable String html;
        byte @Nullable [] original;
    }

    private MimeConfig config() {
        return new MimeConfig.Builder()
                .setMaxLineLen(limits.maxLineBytes())
                .setMaxHeaderLen(limits.maxLineBytes())
                .setMaxHeaderCount(limits.maxHeaderFields())
                .setMaxContentLen(-1)
                .setStrictParsing(false)
                .build();
    }

    private void scan(InputStream in, Scan scan) throws IOException, MimeException {
        MimeTokenStream stream = new MimeTokenStream(config(), DecodeMonitor.SILENT, null);
        // message/rfc822 parts come as bodies: the returned message is read as headers only, never walked
        stream.setRecursionMode(RecursionMode.M_NO_RECURSE);
        stream.parse(in);
        int depth = 0;
        int parts = 0;
        boolean inTop = true;
        for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM; state = stream.next()) {
            switch (state) {
                case T_START_MULTIPART -> {
                    if (++depth > limits.maxDepth()) {
                        scan.limits.add(Limit.DEPTH);
                        return;
                    }
                }
                case T_END_MULTIPART -> depth--;
                case T_START_BODYPART -> {
                    if (++parts > limits.maxParts()) {
                        scan.limits.add(Limit.PARTS);
                        return;
                    }
                }
                case T_FIELD -> {
                    if (inTop) {
                        scan.top.add(field(stream.getField(), scan.limits));
                    }
                }
                case T_END_HEADER -> inTop = false;
                case T_BODY -> body(stream, scan);
                default -> {
                    // preamble, epilogue, ends: nothing to keep
                }
            }
        }
    }

    private void body(MimeTokenStream stream, Scan scan) throws IOException {
        BodyDescriptor descriptor = stream.getBodyDescriptor();
        String type = descriptor.getMimeType() == null ? "" : descriptor.getMimeType().toLowerCase(Locale.ROOT);
        switch (type) {
            case "message/delivery-status", "message/global-delivery-status" -> {
                if (scan.status == null) {
                    scan.status = text(stream, descriptor, scan.limits);
                }
            }
            case "message/feedback-report" -> {
                if (scan.feedback == null) {
                    scan.feedback = text(stream, descriptor, scan.limits);
                }
            }
            case "message/rfc822", "message/global", "text/rfc822-headers", "message/rfc822-headers",
                    "message/global-headers" -> {
                if (scan.original == null) {
                    scan.original = read(stream.getDecodedInputStream(), scan.limits);
                }
            }
            case "text/plain" -> {
                if (scan.plain == null) {
                    scan.plain = text(stream, descriptor, scan.limits);
                }
            }
            case "text/html" -> {
                if (scan.html == null) {
                    scan.html = text(stream, descriptor, scan.limits);
                }
            }
            default -> {
                // images, attachments, alternatives already seen: skipped unread
            }
        }
    }

    private String text(MimeTokenStream stream, BodyDescriptor descriptor, Set<Limit> found) throws IOException {
        return new String(read(stream.getDecodedInputStream(), found), charset(descriptor.getCharset()));
    }

    private byte[] read(InputStream in, Set<Limit> found) throws IOException {
        int max = limits.maxPartBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 8192));
        byte[] buffer = new byte[8192];
        while (out.size() < max) {
            int n = in.read(buffer, 0, Math.min(buffer.length, max - out.size()));
            if (n < 0) {
                return out.toByteArray();
            }
            out.write(buffer, 0, n);
        }
        if (in.read() >= 0) {
            found.add(Limit.LENGTH); // the rest of the part is skipped by the parser, not kept
        }
        return out.toByteArray();
    }

    private static Charset charset(@Nullable String name) {
        if (name == null || name.equalsIgnoreCase("us-ascii")) {
            return StandardCharsets.UTF_8; // a superset, and what RFC 6533 reports use
        }
        try {
            return Charset.forName(name);
        } catch (IllegalArgumentException e) {
            return StandardCharsets.UTF_8;
        }
    }

    private HeaderField field(Field field, Set<Limit> found) {
        boolean[] cut = new boolean[1];
        String name = Clean.text(field.getName(), 100, cut);
        String body = field.getBody();
        String value = Clean.text(body == null ? "" : body, limits.maxFieldChars(), cut);
        if (cut[0]) {
            found.add(Limit.LENGTH);
        }
        return new HeaderField(name, value);
    }

    // ---- deciding ----

    private BounceReport decide(Scan scan) {
        if (scan.feedback != null) {
            return feedback(scan);
        }
        if (scan.status != null) {
            return dsn(scan);
        }
        String subject = subject(scan);
        String from = orEmpty(FieldBlocks.get(scan.top, "From"));
        String body = humanText(scan);
        Matcher marker = ORIGINAL_MARKER.matcher(body);
        boolean hasMarker = marker.find();
        String human = hasMarker ? body.substring(0, marker.start()) : body;
        boolean daemon = BOUNCE_SENDER.matcher(from).find();
        if (daemon || BOUNCE_SUBJECT.matcher(subject).find() || BOUNCE_TEXT.matcher(human).find()) {
            List<HeaderField> original = scan.original != null ? headers(scan.original, scan.limits)
                    : hasMarker ? headers(body.substring(marker.end()).stripLeading()
                            .getBytes(StandardCharsets.UTF_8), scan.limits)
                    : List.of();
            return new BounceReport.FreeText(subject, clean(human, limits.maxTextChars(), scan.limits),
                    failedRecipients(scan), original, scan.limits);
        }
        String auto = autoReply(scan, subject);
        if (auto != null) {
            return new BounceReport.AutoReply(auto, subject, scan.limits);
        }
        return new BounceReport.Unrecognised(scan.limits.isEmpty()
                ? "neither a report part nor the marks of a bounce or an automatic reply"
                : "nothing recognisable within the limits " + scan.limits, scan.limits);
    }

    private BounceReport dsn(Scan scan) {
        List<List<HeaderField>> blocks =
                FieldBlocks.parse(scan.status, limits.maxRecipients() + 1, limits.maxFieldChars(), scan.limits);
        String reportingMta = null;
        Instant arrival = null;
        List<DsnRecipient> recipients = new ArrayList<>();
        for (List<HeaderField> block : blocks) {
            if (reportingMta == null) {
                reportingMta = typed(FieldBlocks.get(block, "Reporting-MTA"));
            }
            if (arrival == null) {
                arrival = date(FieldBlocks.get(block, "Arrival-Date"));
            }
            String finalRecipient = address(typed(FieldBlocks.get(block, "Final-Recipient")));
            String originalRecipient = address(typed(FieldBlocks.get(block, "Original-Recipient")));
            String action = FieldBlocks.get(block, "Action");
            if (finalRecipient == null && originalRecipient == null && action == null) {
                continue; // the per-message block
            }
            if (recipients.size() >= limits.maxRecipients()) {
                scan.limits.add(Limit.RECIPIENTS);
                break;
            }
            String diagnostic = FieldBlocks.get(block, "Diagnostic-Code");
            int semicolon = diagnostic == null ? -1 : diagnostic.indexOf(';');
            recipients.add(new DsnRecipient(finalRecipient, originalRecipient,
                    action == null ? DsnAction.UNKNOWN : DsnAction.parse(action),
                    status(FieldBlocks.get(block, "Status")),
                    semicolon < 0 ? null : diagnostic.substring(0, semicolon).strip().toLowerCase(Locale.ROOT),
                    diagnostic == null ? null : diagnostic.substring(semicolon + 1).strip(),
                    typed(FieldBlocks.get(block, "Remote-MTA")),
                    date(FieldBlocks.get(block, "Last-Attempt-Date"))));
        }
        if (recipients.isEmpty()) {
            return new BounceReport.Unrecognised("a delivery-status part without a recipient", scan.limits);
        }
        List<HeaderField> original = scan.original == null ? List.of() : headers(scan.original, scan.limits);
        return new BounceReport.Dsn(reportingMta, arrival, recipients,
                clean(humanText(scan), limits.maxTextChars(), scan.limits), original, scan.limits);
    }

    private BounceReport feedback(Scan scan) {
        List<List<HeaderField>> blocks = FieldBlocks.parse(scan.feedback, 1, limits.maxFieldChars(), scan.limits);
        scan.limits.remove(Limit.RECIPIENTS); // more than one block: only the first one is the report
        List<HeaderField> block = blocks.isEmpty() ? List.of() : blocks.get(0);
        String type = FieldBlocks.get(block, "Feedback-Type");
        if (type == null) {
            return new BounceReport.Unrecognised("a feedback-report part without Feedback-Type", scan.limits);
        }
        List<String> rcpts = new ArrayList<>();
        for (String rcpt : FieldBlocks.all(block, "Original-Rcpt-To", limits.maxRecipients(), scan.limits)) {
            rcpts.add(address(rcpt));
        }
        List<HeaderField> original = scan.original == null ? List.of() : headers(scan.original, scan.limits);
        return new BounceReport.FeedbackReport(type.toLowerCase(Locale.ROOT),
                FieldBlocks.get(block, "User-Agent"), FieldBlocks.get(block, "Version"),
                address(FieldBlocks.get(block, "Original-Mail-From")), rcpts,
                date(FieldBlocks.get(block, "Arrival-Date")), FieldBlocks.get(block, "Source-IP"),
                FieldBlocks.all(block, "Reported-Domain", limits.maxRecipients(), scan.limits), original,
                scan.limits);
    }

    /** The header section at the start of {@code bytes}, through Mime4j, at most maxOriginalHeaders fields. */
    private List<HeaderField> headers(byte[] bytes, Set<Limit> found) {
        List<HeaderField> fields = new ArrayList<>();
        MimeTokenStream stream = new MimeTokenStream(config(), DecodeMonitor.SILENT, null);
        stream.setRecursionMode(RecursionMode.M_FLAT);
        stream.parse(new ByteArrayInputStream(bytes));
        try {
            for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM
                    && state != EntityState.T_END_HEADER; state = stream.next()) {
                if (state == EntityState.T_FIELD) {
                    if (fields.size() >= limits.maxOriginalHeaders()) {
                        found.add(Limit.HEADERS);
                        break;
                    }
                    fields.add(field(stream.getField(), found));
                }
            }
        } catch (MimeException | IOException | RuntimeException e) {
            found.add(limitOf(e));
        }
        return fields;
    }

    /** Mime4j wraps its limit exceptions (in MimeException, MimeIOException): {@link Limit#HEADERS} if one is inside. */
    private static Limit limitOf(Throwable e) {
        int depth = 0;
        for (Throwable t = e; t != null && depth < 10; t = t.getCause(), depth++) {
            if (t instanceof MaxHeaderLimitException || t instanceof MaxHeaderLengthLimitException
                    || t instanceof MaxLineLimitException) {
                return Limit.HEADERS;
            }
        }
        return Limit.MALFORMED;
    }

    private String humanText(Scan scan) {
        if (scan.plain != null) {
            return scan.plain;
        }
        if (scan.html != null) {
            String text = TAG.matcher(scan.html).replaceAll(" ");
            return text.replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
        }
        return "";
    }

    private String subject(Scan scan) {
        String raw = orEmpty(FieldBlocks.get(scan.top, "Subject"));
        String decoded;
        try {
            decoded = DecoderUtil.decodeEncodedWords(raw, DecodeMonitor.SILENT);
        } catch (RuntimeException e) {
            decoded = raw;
        }
        return clean(decoded, limits.maxFieldChars(), scan.limits);
    }

    private List<String> failedRecipients(Scan scan) {
        List<String> out = new ArrayList<>();
        for (String value : FieldBlocks.all(scan.top, "X-Failed-Recipients", limits.maxRecipients(), scan.limits)) {
            for (String address : value.split(",")) {
                if (!address.isBlank()) {
                    if (out.size() >= limits.maxRecipients()) {
                        scan.limits.add(Limit.RECIPIENTS);
                        return out;
                    }
                    out.add(address(address.strip()));
                }
            }
        }
        return out;
    }

    private static @Nullable String autoReply(Scan scan, String subject) {
        String submitted = FieldBlocks.get(scan.top, "Auto-Submitted");
        if (submitted != null && submitted.toLowerCase(Locale.ROOT).startsWith("auto-replied")) {
            return "Auto-Submitted: auto-replied";
        }
        for (String name : List.of("X-Autoreply", "X-Autorespond", "X-Autoresponder")) {
            if (FieldBlocks.get(scan.top, name) != null) {
                return name;
            }
        }
        String precedence = FieldBlocks.get(scan.top, "Precedence");
        if (precedence != null && precedence.equalsIgnoreCase("auto_reply")) {
            return "Precedence: auto_reply";
        }
        if (AUTO_REPLY_SUBJECT.matcher(subject).find()) {
            return "subject";
        }
        return null;
    }

    private static String clean(String text, int max, Set<Limit> found) {
        boolean[] cut = new boolean[1];
        String out = Clean.text(text, max, cut);
        if (cut[0]) {
            found.add(Limit.LENGTH);
        }
        return out;
    }

    /** {@code rfc822; a@b} → {@code a@b}: the value after the type. */
    private static @Nullable String typed(@Nullable String value) {
        if (value == null) {
            return null;
        }
        int semicolon = value.indexOf(';');
        String v = semicolon < 0 ? value : value.substring(semicolon + 1).strip();
        return v.isEmpty() ? null : v;
    }

    /** Drops angle brackets around an address. */
    private static @Nullable String address(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        if (v.startsWith("<") && v.endsWith(">") && v.length() > 2) {
            v = v.substring(1, v.length() - 1).strip();
        }
        return v.isEmpty() ? null : v;
    }

    private static @Nullable EnhancedStatus status(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        int space = v.indexOf(' ');
        try {
            return EnhancedStatus.parse(space < 0 ? v : v.substring(0, space));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An RFC 5322 date with its trailing comment, e.g. {@code Fri, 13 Nov 2020 09:42:35 +0900 (JST)}. */
    static @Nullable Instant date(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        int comment = v.indexOf('(');
        if (comment > 0) {
            v = v.substring(0, comment).strip();
        }
        int comma = v.indexOf(',');
        if (comma >= 0 && comma <= 4) {
            v = v.substring(comma + 1).strip(); // the day name is redundant, and often wrong (RFC 5965's example)
        }
        int space = v.lastIndexOf(' ');
        if (space > 0) {
            String zone = OBSOLETE_ZONES.get(v.substring(space + 1).toUpperCase(Locale.ROOT));
            if (zone != null) {
                v = v.substring(0, space + 1) + zone;
            }
        }
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String orEmpty(@Nullable String s) {
        return s == null ? "" : s;
    }
}
