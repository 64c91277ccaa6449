package dev.relay.protocol;

/**
 * What the decoder observed about message content, for the session's policy decisions.
 *
 * @param size content octets after unstuffing and line-ending normalisation, including any dropped
 *     after the limit was exceeded
 * @param sizeExceeded size went over the limit; content after that point was not emitted
 * @param lineTooLong some line exceeded the text line limit (RFC 5321 4.5.3.1.6, CRLF included)
 * @param nulByte some octet was 0x00
 * @param eightBit some octet was >= 0x80
 * @param bareLineEndings CR or LF octets not part of a CRLF pair (normalised to CRLF in DATA)
 */
public record ContentStats(long size, boolean sizeExceeded, boolean lineTooLong, boolean nulByte,
                           boolean eightBit, long bareLineEndings) {
    public static final ContentStats EMPTY = new ContentStats(0, false, false, false, false, 0);

    public ContentStats {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0, was " + size);
        }
        if (bareLineEndings < 0) {
            throw new IllegalArgumentException("bareLineEndings must be >= 0, was " + bareLineEndings);
        }
    }
}
