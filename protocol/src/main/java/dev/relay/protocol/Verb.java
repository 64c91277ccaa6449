package dev.relay.protocol;

/** SMTP command verbs the server recognises; anything else decodes as {@link #UNKNOWN}. */
public enum Verb {
    EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH, UNKNOWN;

    private static final Verb[] KNOWN = {
        EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH
    };

    /**
     * ASCII case-insensitive lookup. Not {@code equalsIgnoreCase}: that would let look-alikes such
     * as U+0131 (dotless i) in "QU\u0131T" match a verb that a downstream parser would not recognise.
     */
    static Verb of(String word) {
        for (Verb verb : KNOWN) {
            if (asciiEqualsIgnoreCase(verb.name(), word)) {
                return verb;
            }
        }
        return UNKNOWN;
    }

    /** {@code upper} must be ASCII upper case. */
    static boolean asciiEqualsIgnoreCase(String upper, String text) {
        if (upper.length() != text.length()) {
            return false;
        }
        for (int i = 0; i < upper.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'a' && c <= 'z') {
                c -= 'a' - 'A';
            }
            if (c != upper.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
