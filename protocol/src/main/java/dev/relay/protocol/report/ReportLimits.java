package dev.relay.protocol.report;

/**
 * How much of a report the parser reads and keeps. The defaults fit every real bounce seen (the report parts come
 * before the returned message, which is the only part that can be large) while capping work and memory per report
 * near {@code maxInputBytes}.
 *
 * @param maxInputBytes bytes of the whole report read; the rest is ignored ({@link Limit#INPUT_SIZE})
 * @param maxParts body parts visited, at any depth
 * @param maxDepth nesting of multiparts
 * @param maxHeaderFields fields in one header section (the report's, a part's, the returned message's)
 * @param maxLineBytes a header line (folded field) or a line the MIME parser must hold at once
 * @param maxRecipients recipient blocks of a DSN, Original-Rcpt-To fields of an ARF report
 * @param maxFieldChars a field value (after unfolding and cleaning)
 * @param maxTextChars the human-readable text of a report
 * @param maxPartBytes decoded bytes read from one part (a status or feedback report, a text, returned headers)
 * @param maxOriginalHeaders fields kept of the returned message's header section
 */
public record ReportLimits(long maxInputBytes, int maxParts, int maxDepth, int maxHeaderFields, int maxLineBytes,
        int maxRecipients, int maxFieldChars, int maxTextChars, int maxPartBytes, int maxOriginalHeaders) {
    public static final ReportLimits DEFAULTS =
            new ReportLimits(4L << 20, 100, 8, 500, 64 * 1024, 100, 1000, 8000, 256 * 1024, 100);

    public ReportLimits {
        positive("maxInputBytes", maxInputBytes);
        positive("maxParts", maxParts);
        positive("maxDepth", maxDepth);
        positive("maxHeaderFields", maxHeaderFields);
        positive("maxLineBytes", maxLineBytes);
        positive("maxRecipients", maxRecipients);
        positive("maxFieldChars", maxFieldChars);
        positive("maxTextChars", maxTextChars);
        positive("maxPartBytes", maxPartBytes);
        positive("maxOriginalHeaders", maxOriginalHeaders);
    }

    private static void positive(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, was " + value);
        }
    }
}
