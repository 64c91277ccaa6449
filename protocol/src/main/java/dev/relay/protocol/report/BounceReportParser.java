package dev.relay.protocol.report;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
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
        Matcher marker = Marks.ORIGINAL_MARKER.matcher(body);
        boolean hasMarker = marker.find();
        String human = hasMarker ? body.substring(0, marker.start()) : body;
        boolean daemon = Marks.BOUNCE_SENDER.matcher(from).find();
        if (daemon || Marks.BOUNCE_SUBJECT.matcher(subject).find() || Marks.BOUNCE_TEXT.matcher(human).find()) {
            List<HeaderField> original = scan.original != null ? headers(scan.original, scan.limits)
                    : hasMarker ? headers(body.substring(marker.end()).stripLeading()
                            .getBytes(StandardCharsets.UTF_8), scan.limits)
                    : List.of();
            return new BounceReport.FreeText(subject, clean(human, limits.maxTextChars(), scan.limits),
                    failedRecipients(scan), original, scan.limits);
        }
        String auto = Marks.autoReply(scan.top, subject);
        if (auto != null) {
            return new BounceReport.AutoReply(auto, subject, scan.limits);
        }
        return new BounceReport.Unrecognised(scan.limits.isEmpty()
                ? "neither a report part nor the marks of a bounce or an automatic reply"
                : "nothing recognisable within the limits " + scan.limits, scan.limits);
    }

    private BounceReport dsn(Scan scan) {
        List<List<HeaderField>> blocks =
                FieldBlocks.parse(java.util.Objects.requireNonNull(scan.status, "a delivery-status part"),
                        limits.maxRecipients() + 1, limits.maxFieldChars(), scan.limits);
        String reportingMta = null;
        Instant arrival = null;
        List<DsnRecipient> recipients = new ArrayList<>();
        for (List<HeaderField> block : blocks) {
            if (reportingMta == null) {
                reportingMta = FieldValues.typed(FieldBlocks.get(block, "Reporting-MTA"));
            }
            if (arrival == null) {
                arrival = FieldValues.date(FieldBlocks.get(block, "Arrival-Date"));
            }
            String finalRecipient = FieldValues.recipient(FieldBlocks.get(block, "Final-Recipient"));
            String originalRecipient = FieldValues.recipient(FieldBlocks.get(block, "Original-Recipient"));
            String action = FieldBlocks.get(block, "Action");
            if (finalRecipient == null && originalRecipient == null && action == null) {
                continue; // the per-message block
            }
            if (recipients.size() >= limits.maxRecipients()) {
                scan.limits.add(Limit.RECIPIENTS);
                break;
            }
            String diagnostic = FieldBlocks.get(block, "Diagnostic-Code");
            String diagnosticType = null;
            String diagnosticText = null;
            if (diagnostic != null) {
                int semicolon = diagnostic.indexOf(';');
                diagnosticType = semicolon < 0 ? null : diagnostic.substring(0, semicolon).strip()
                        .toLowerCase(Locale.ROOT);
                diagnosticText = diagnostic.substring(semicolon + 1).strip();
            }
            recipients.add(new DsnRecipient(finalRecipient, originalRecipient,
                    action == null ? DsnAction.UNKNOWN : DsnAction.parse(action),
                    FieldValues.status(FieldBlocks.get(block, "Status")), diagnosticType, diagnosticText,
                    FieldValues.typed(FieldBlocks.get(block, "Remote-MTA")),
                    FieldValues.date(FieldBlocks.get(block, "Last-Attempt-Date"))));
        }
        if (recipients.isEmpty()) {
            return new BounceReport.Unrecognised("a delivery-status part without a recipient", scan.limits);
        }
        List<HeaderField> original = scan.original == null ? List.of() : headers(scan.original, scan.limits);
        return new BounceReport.Dsn(reportingMta, arrival, recipients,
                clean(humanText(scan), limits.maxTextChars(), scan.limits), original, scan.limits);
    }

    private BounceReport feedback(Scan scan) {
        List<List<HeaderField>> blocks = FieldBlocks.parse(java.util.Objects.requireNonNull(scan.feedback,
                "a feedback-report part"), 1, limits.maxFieldChars(), scan.limits);
        scan.limits.remove(Limit.RECIPIENTS); // more than one block: only the first one is the report
        List<HeaderField> block = blocks.isEmpty() ? List.of() : blocks.get(0);
        String type = FieldBlocks.get(block, "Feedback-Type");
        if (type == null) {
            return new BounceReport.Unrecognised("a feedback-report part without Feedback-Type", scan.limits);
        }
        List<String> rcpts = new ArrayList<>();
        for (String rcpt : FieldBlocks.all(block, "Original-Rcpt-To", limits.maxRecipients(), scan.limits)) {
            rcpts.add(FieldValues.address(rcpt));
        }
        List<HeaderField> original = scan.original == null ? List.of() : headers(scan.original, scan.limits);
        return new BounceReport.FeedbackReport(type.toLowerCase(Locale.ROOT),
                FieldBlocks.get(block, "User-Agent"), FieldBlocks.get(block, "Version"),
                FieldValues.address(FieldBlocks.get(block, "Original-Mail-From")), rcpts,
                FieldValues.date(FieldBlocks.get(block, "Arrival-Date")), FieldBlocks.get(block, "Source-IP"),
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
                    out.add(FieldValues.address(address.strip()));
                }
            }
        }
        return out;
    }


    private static String clean(String text, int max, Set<Limit> found) {
        boolean[] cut = new boolean[1];
        String out = Clean.text(text, max, cut);
        if (cut[0]) {
            found.add(Limit.LENGTH);
        }
        return out;
    }


    private static String orEmpty(@Nullable String s) {
        return s == null ? "" : s;
    }
}
