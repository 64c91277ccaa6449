package dev.relay.storage;

import java.nio.charset.StandardCharsets;
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
        StringBuilder out = new StringBuilder(Math.min(v.length(), MAX_BYTES));
        int bytes = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            String piece;
            if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                piece = v.substring(i, i + 2);
                i++;
            } else if (Character.isSurrogate(c) || c < 0x20 || c == 0x7f) {
                piece = "?";
            } else {
                piece = String.valueOf(c);
            }
            int n = piece.getBytes(StandardCharsets.UTF_8).length;
            if (bytes + n > MAX_BYTES) {
                break;
            }
            bytes += n;
            out.append(piece);
        }
        return out.length() == 0 ? null : out.toString();
    }
}
