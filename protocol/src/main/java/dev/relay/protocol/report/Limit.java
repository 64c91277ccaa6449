package dev.relay.protocol.report;

/** A limit of {@link ReportLimits} that a report reached: what was parsed is kept, the rest was skipped or cut. */
public enum Limit {
    /** The report is longer than {@link ReportLimits#maxInputBytes()}: the rest was not read. */
    INPUT_SIZE,
    /** More body parts than {@link ReportLimits#maxParts()}: parsing stopped there. */
    PARTS,
    /** Multiparts nested deeper than {@link ReportLimits#maxDepth()}: parsing stopped there. */
    DEPTH,
    /** A header section with more fields than allowed, or a header line longer than allowed. */
    HEADERS,
    /** More recipient blocks in a DSN (or Original-Rcpt-To fields in an ARF report) than allowed. */
    RECIPIENTS,
    /** A field value, a text or a report part was cut to its limit. */
    LENGTH,
    /** The MIME structure was broken (the parser gave up); what came before is kept. */
    MALFORMED
}
