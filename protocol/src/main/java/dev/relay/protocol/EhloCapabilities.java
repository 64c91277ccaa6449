package dev.relay.protocol;

import java.util.List;
import java.util.Locale;

/**
 * What a server advertised in its EHLO reply (RFC 5321 4.1.1.1), as far as a relaying client cares. {@link #NONE}
 * stands for a HELO session: no extension at all.
 *
 * @param sizeAdvertised whether SIZE was listed (then MAIL carries {@code SIZE=n}, RFC 1870)
 * @param maxSize the declared limit in octets, 0 when SIZE was listed without one (or with 0: no fixed limit)
 */
public record EhloCapabilities(boolean pipelining, boolean sizeAdvertised, long maxSize, boolean eightBitMime,
                               boolean smtpUtf8, boolean startTls, boolean chunking, boolean enhancedStatusCodes) {
    public static final EhloCapabilities NONE = new EhloCapabilities(false, false, 0, false, false, false, false, false);

    public EhloCapabilities {
        if (maxSize < 0) {
            throw new IllegalArgumentException("maxSize must be >= 0, was " + maxSize);
        }
    }

    /**
     * Parses the text lines of a 250 EHLO reply (without code). The first line is the server's name and greeting,
     * never a keyword. Keywords are case-insensitive; unknown ones and malformed SIZE values are ignored (a bad
     * SIZE argument counts as "no declared limit", since refusing to talk over it would help nobody).
     */
    public static EhloCapabilities parse(List<String> lines) {
        boolean pipelining = false, size = false, eightBit = false, utf8 = false, tls = false, chunking = false;
        boolean enhanced = false;
        long maxSize = 0;
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            int space = line.indexOf(' ');
            String keyword = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
            switch (keyword) {
                case "PIPELINING" -> pipelining = true;
                case "8BITMIME" -> eightBit = true;
                case "SMTPUTF8" -> utf8 = true;
                case "STARTTLS" -> tls = true;
                case "CHUNKING" -> chunking = true;
                case "ENHANCEDSTATUSCODES" -> enhanced = true;
                case "SIZE" -> {
                    size = true;
                    maxSize = space < 0 ? 0 : sizeArgument(line.substring(space + 1).strip());
                }
                default -> {
                    // not used by the client
                }
            }
        }
        return new EhloCapabilities(pipelining, size, maxSize, eightBit, utf8, tls, chunking, enhanced);
    }

    private static long sizeArgument(String text) {
        if (text.isEmpty() || text.length() > 18) {
            return 0;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
