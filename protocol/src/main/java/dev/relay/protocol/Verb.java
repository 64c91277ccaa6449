package dev.relay.protocol;

/** SMTP command verbs the server recognises; anything else decodes as {@link #UNKNOWN}. */
public enum Verb {
    EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH, UNKNOWN;

    private static final Verb[] KNOWN = {
        EHLO, HELO, MAIL, RCPT, DATA, BDAT, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS, AUTH
    };

    /** Case-insensitive lookup without allocating an upper-cased copy of untrusted input. */
    static Verb of(String word) {
        for (Verb verb : KNOWN) {
            if (verb.name().equalsIgnoreCase(word)) {
                return verb;
            }
        }
        return UNKNOWN;
    }
}
