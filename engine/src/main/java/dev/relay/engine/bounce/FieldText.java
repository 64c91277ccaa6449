package dev.relay.engine.bounce;

import java.util.ArrayList;
import java.util.List;

/**
 * Untrusted one-line text (a remote server's reply, a host name from DNS) made safe for a DSN: it can neither end a
 * line (so no injected field, header or MIME boundary) nor make one longer than RFC 5322's 998 octets.
 */
final class FieldText {
    /** Longer diagnostics are cut: the DSN reports a failure, it does not archive a server's essay. */
    static final int MAX_CHARS = 1000;
    /** Lines are folded before this many characters where a space allows. */
    static final int FOLD_AT = 78;
    /**
     * A word longer than this is split. At most 3 UTF-8 octets per char, 320 chars plus an indent stay under 998
     * octets; 320 is also the longest address {@link Dsn} accepts.
     */
    static final int MAX_WORD = 320;

    private FieldText() {
    }

    /**
     * Control characters (CR, LF, NUL, TAB, C1) become spaces, runs of spaces one space; without {@code utf8},
     * non-ASCII characters become '?', so the part stays 7-bit.
     */
    static String clean(String text, boolean utf8) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_CHARS + 3));
        for (int i = 0; i < text.length() && out.length() < MAX_CHARS; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                c = ' ';
            } else if (c > 0x7f && !utf8) {
                c = '?';
            }
            if (c != ' ' || (out.length() > 0 && out.charAt(out.length() - 1) != ' ')) {
                out.append(c);
            }
        }
        if (out.length() >= MAX_CHARS) {
            out.append("...");
        }
        return out.toString().strip();
    }

    /**
     * {@code first + text}, folded at spaces into lines of about {@link #FOLD_AT} characters, each following line
     * starting with {@code indent} (whitespace, so a header field stays one field), with CRLF after every line.
     */
    static String fold(String first, String text, String indent) {
        StringBuilder out = new StringBuilder(first.length() + text.length() + 16).append(first);
        int lineStart = 0;
        for (String word : text.split(" ")) {
            for (String piece : word.isEmpty() ? new String[0] : pieces(word)) {
                int lineLength = out.length() - lineStart;
                if (lineLength > 0 && lineLength + 1 + piece.length() > FOLD_AT) {
                    out.append("\r\n");
                    lineStart = out.length();
                    out.append(indent);
                } else if (lineLength > 0 && out.charAt(out.length() - 1) != ' ') {
                    out.append(' ');
                }
                out.append(piece);
            }
        }
        return out.append("\r\n").toString();
    }

    /** A word cut into chunks of at most {@link #MAX_WORD} chars, never inside a surrogate pair. */
    private static String[] pieces(String word) {
        if (word.length() <= MAX_WORD) {
            return new String[] {word};
        }
        List<String> pieces = new ArrayList<>();
        int from = 0;
        while (from < word.length()) {
            int to = Math.min(from + MAX_WORD, word.length());
            if (to < word.length() && Character.isHighSurrogate(word.charAt(to - 1))) {
                to--;
            }
            pieces.add(word.substring(from, to));
            from = to;
        }
        return pieces.toArray(String[]::new);
    }
}
