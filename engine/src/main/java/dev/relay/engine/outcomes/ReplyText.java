package dev.relay.engine.outcomes;

import dev.relay.protocol.EnhancedStatus;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A reply given as text (typed at the command line, read from a DSN's Diagnostic-Code, or a log line), split into
 * its basic code, enhanced status and text the way {@link dev.relay.protocol.SmtpReply#fromWire} reads a reply from
 * the wire, so both paths classify the same reply the same way.
 *
 * <p>Accepted: an optional {@code smtp;} prefix (RFC 3464 diagnostic type), then {@code 550 5.1.1 text} or the
 * multi-line {@code 550-5.1.1 ...}{@code \n550 5.1.1 ...}, also flattened into one line as DSNs often do (the
 * repeated {@code 550-5.1.1} tokens are removed so a phrase broken across lines still reads whole). A status whose
 * class differs from the code's is dropped, as on the wire. Without a leading code: code 0, the whole text.
 */
public record ReplyText(int code, @Nullable EnhancedStatus status, String text) {
    /** Longer input is cut here before any work; classification reads at most {@link BounceRules#MAX_TEXT}. */
    static final int MAX_INPUT = 16 * 1024;

    public ReplyText {
        Objects.requireNonNull(text, "text");
    }

    public static ReplyText parse(String raw) {
        String s = raw.length() > MAX_INPUT ? raw.substring(0, MAX_INPUT) : raw;
        int i = skipSpace(s, 0);
        if (s.regionMatches(true, i, "smtp;", 0, 5)) {
            i = skipSpace(s, i + 5);
        }
        if (!codeAt(s, i)) {
            return new ReplyText(0, null, oneLine(s.substring(i)));
        }
        int code = Integer.parseInt(s.substring(i, i + 3));
        i += 3;
        if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == ' ')) {
            i++;
        }
        i = skipSpace(s, i);
        EnhancedStatus status = null;
        int end = i;
        while (end < s.length() && !Character.isWhitespace(s.charAt(end))) {
            end++;
        }
        String word = s.substring(i, end);
        if (word.startsWith("#")) {
            word = word.substring(1);
        }
        if (!word.isEmpty() && word.charAt(0) == (char) ('0' + code / 100)) {
            try {
                status = EnhancedStatus.parse(word);
                i = end;
            } catch (IllegalArgumentException e) {
                status = null; // a word, not a status
            }
        }
        String rest = s.substring(i);
        String c = String.valueOf(code);
        if (status != null) {
            rest = rest.replace(c + "-" + status + " ", " ").replace(c + " " + status + " ", " ");
        }
        StringBuilder out = new StringBuilder(rest.length());
        for (String line : rest.split("\r?\n", -1)) {
            String l = line.strip();
            if (l.length() >= 4 && l.startsWith(c) && (l.charAt(3) == '-' || l.charAt(3) == ' ')) {
                l = l.substring(4).strip();
                if (status != null && l.startsWith(status.toString())) {
                    l = l.substring(status.toString().length());
                }
            }
            out.append(l).append(' ');
        }
        return new ReplyText(code, status, oneLine(out.toString()));
    }

    private static boolean codeAt(String s, int i) {
        if (i + 3 > s.length()) {
            return false;
        }
        char a = s.charAt(i);
        if ((a != '4' && a != '5' && a != '2') || !Character.isDigit(s.charAt(i + 1))
                || !Character.isDigit(s.charAt(i + 2))) {
            return false;
        }
        return i + 3 == s.length() || s.charAt(i + 3) == ' ' || s.charAt(i + 3) == '-' || s.charAt(i + 3) == '\r'
                || s.charAt(i + 3) == '\n';
    }

    private static int skipSpace(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    /** Control characters become spaces, runs of spaces one, ends stripped. */
    static String oneLine(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch <= ' ' || ch == 0x7f) {
                space = b.length() > 0;
            } else {
                if (space) {
                    b.append(' ');
                    space = false;
                }
                b.append(ch);
            }
        }
        return b.toString();
    }
}
