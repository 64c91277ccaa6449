/**
 * Reports that come back to the bounce domain, parsed with Apache Mime4j into values: RFC 3464 delivery status
 * notifications, RFC 5965 ARF feedback reports, RFC 3834 auto-replies, the free-text bounces of older MTAs, and
 * {@link dev.relay.protocol.report.BounceReport.Unrecognised} for the rest. A report is hostile input: every string
 * is bounded and stripped of control characters, and every count (bytes, parts, depth, headers, recipients) has a
 * limit in {@link dev.relay.protocol.report.ReportLimits}. No I/O, no policy: linking a report to a message (the VERP
 * token) and classifying its text happen in the engine.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.protocol.report;
