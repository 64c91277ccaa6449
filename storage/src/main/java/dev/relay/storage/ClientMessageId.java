package dev.relay.storage;

import org.jspecify.annotations.Nullable;

/**
 * A client's Message-ID as the history stores and finds it: the header field's value unfolded, without surrounding
 * white space and angle brackets, control characters and lone surrogates as '?', cut to 998 UTF-8 bytes (a header
 * line's limit, RFC 5322 2.1.1) at a character boundary. Peer text: this is the only way it reaches the database.
 * The same function normalises a lookup, so {@code <a@b>}, {@code a@b} and a folded value all find one message.
 */
public final class ClientMessageId {
    /** RFC 5322 2.1.1: no line longer than 998 characters. */
    public static final int MAX_BYTES = 998;

    private ClientMessageId() {}

    /** The normalised value; null when nothing is left. */
    public static @Nullable String normalise(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.replace("\r", "").replace("\n", "").strip();
        if (v.startsWith("<")) {
            int close = v.indexOf('>');
            v = (close < 0 ? v.substring(1) : v.substring(1, close)).strip();
        }
        if (plainAscii(v)) {
            return v.isEmpty() ? null : v; // the usual case, without a copy (one per accepted message)
        }
        StringBuilder out = new StringBuilder(Math.min(v.length(), MAX_BYTES));
        int bytes = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < v.length()
                    && Character.isLowSurrogate(v.charAt(i + 1));
            if (!pair && (Character.isSurrogate(c) || c < 0x20 || c == 0x7f)) {
                c = '?';
            }
            int n = pair ? 4 : c < 0x80 ? 1 : c < 0x800 ? 2 : 3; // its length in UTF-8
            if (bytes + n > MAX_BYTES) {
                break;
            }
            bytes += n;
            out.append(c);
            if (pair) {
                out.append(v.charAt(++i));
            }
        }
        return out.length() == 0 ? null : out.toString();
    }

    /** Printable US-ASCII only and short enough: kept as it is. */
    private static boolean plainAscii(String v) {
        if (v.length() > MAX_BYTES) {
            return false;
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
