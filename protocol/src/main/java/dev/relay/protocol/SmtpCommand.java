package dev.relay.protocol;

import java.util.Objects;

/**
 * One command line.
 *
 * @param verb the first word, matched case-insensitively; {@link Verb#UNKNOWN} if not recognised
 * @param argument the text after the verb with leading spaces removed (for MAIL: {@code FROM:<a@b> SIZE=10})
 * @param line the whole line without its CRLF, for logging and for VRFY/EXPN/HELP echoes
 */
public record SmtpCommand(Verb verb, String argument, String line) implements SmtpInbound {
    public SmtpCommand {
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(argument, "argument");
        Objects.requireNonNull(line, "line");
    }

    /** Splits a decoded line (no CRLF) into verb and argument. */
    public static SmtpCommand parse(String line) {
        int space = line.indexOf(' ');
        String word = space < 0 ? line : line.substring(0, space);
        int start = space < 0 ? line.length() : space + 1;
        while (start < line.length() && line.charAt(start) == ' ') {
            start++;
        }
        return new SmtpCommand(Verb.of(word), line.substring(start), line);
    }
}
