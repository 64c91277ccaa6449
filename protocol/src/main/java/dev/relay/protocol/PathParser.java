package dev.relay.protocol;

import io.netty.util.NetUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Parses MAIL FROM and RCPT TO arguments (RFC 5321 4.1.2, 4.1.1.2, 4.1.1.3; RFC 6531 for UTF-8
 * addresses) into values or the rejection reply. Deliberately lenient in one place Postfix is too:
 * spaces between the colon and the {@code <} are accepted. Source routes are accepted and dropped,
 * as 4.1.1.3 says servers SHOULD.
 */
public final class PathParser {
    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 255;
    private static final int MAX_PATH = 256;
    private static final int MAX_LABEL = 63;

    private static final SmtpReply MAIL_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address>");
    private static final SmtpReply RCPT_SYNTAX = SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address>");
    private static final SmtpReply BAD_SENDER = SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
    private static final SmtpReply BAD_RECIPIENT = SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");
    private static final SmtpReply SENDER_NEEDS_UTF8 =
            SmtpReply.of(553, "5.6.7", "Sender address requires SMTPUTF8");
    private static final SmtpReply RECIPIENT_NEEDS_UTF8 =
            SmtpReply.of(553, "5.6.7", "Recipient address requires SMTPUTF8");

    private PathParser() {
    }

    /** Parses the argument of MAIL (everything after the verb, e.g. {@code FROM:<a@b> SIZE=10}). */
    public static PathResult mailFrom(String argument, boolean smtputf8Offered) {
        Split split = split(argument, "FROM:");
        if (split == null) {
            return new PathResult.Rejected(MAIL_SYNTAX);
        }
        PathResult parameters = EsmtpParameters.mail(split.parameters, smtputf8Offered);
        if (parameters instanceof PathResult.Rejected) {
            return parameters;
        }
        MailParameters mail = ((PathResult.Ok) parameters).parameters();
        if (split.path.isEmpty()) {
            return new PathResult.Ok(null, mail);
        }
        Mailbox mailbox = mailbox(split.path, false);
        if (mailbox == null) {
            return new PathResult.Rejected(BAD_SENDER);
        }
        if (!mail.smtputf8() && !isAscii(split.path)) {
            return new PathResult.Rejected(SENDER_NEEDS_UTF8);
        }
        return new PathResult.Ok(mailbox, mail);
    }

    /**
     * Parses the argument of RCPT. {@code transactionSmtputf8}: MAIL FROM of this transaction
     * carried SMTPUTF8, which is what allows a UTF-8 recipient. The result's parameters are
     * {@link MailParameters#NONE}; NOTIFY and ORCPT are checked and ignored.
     */
    public static PathResult rcptTo(String argument, boolean transactionSmtputf8) {
        Split split = split(argument, "TO:");
        if (split == null) {
            return new PathResult.Rejected(RCPT_SYNTAX);
        }
        SmtpReply problem = EsmtpParameters.rcpt(split.parameters);
        if (problem != null) {
            return new PathResult.Rejected(problem);
        }
        Mailbox mailbox = split.path.isEmpty() ? null : mailbox(split.path, true);
        if (mailbox == null) {
            return new PathResult.Rejected(BAD_RECIPIENT);
        }
        if (!transactionSmtputf8 && !isAscii(split.path)) {
            return new PathResult.Rejected(RECIPIENT_NEEDS_UTF8);
        }
        return new PathResult.Ok(mailbox, MailParameters.NONE);
    }

    /**
     * EHLO/HELO argument: a domain of LDH labels (U-labels allowed, RFC 6531 3.3) or an IPv4/IPv6
     * address literal (RFC 5321 4.1.1.1). Whether to refuse an invalid one is the session's call.
     */
    public static boolean isValidHeloArgument(String argument) {
        String value = argument.strip();
        return value.startsWith("[") ? isAddressLiteral(value) : isDomain(value);
    }

    private record Split(String path, List<String> parameters) {
    }

    /** Separates {@code <path>} (returned without brackets) from the parameters, or null if malformed. */
    private static @Nullable Split split(String argument, String prefix) {
        String text = argument.strip();
        if (text.length() < prefix.length()
                || !Verb.asciiEqualsIgnoreCase(prefix, text.substring(0, prefix.length()))) {
            return null;
        }
        int start = prefix.length();
        while (start < text.length() && text.charAt(start) == ' ') {
            start++;
        }
        if (start >= text.length() || text.charAt(start) != '<') {
            return null;
        }
        int close = closingBracket(text, start + 1);
        if (close < 0) {
            return null;
        }
        List<String> parameters = new ArrayList<>();
        String rest = text.substring(close + 1);
        if (!rest.isEmpty()) {
            if (rest.charAt(0) != ' ') {
                return null;
            }
            for (String parameter : rest.split(" ")) {
                if (!parameter.isEmpty()) {
                    parameters.add(parameter);
                }
            }
        }
        return new Split(text.substring(start + 1, close), parameters);
    }

    /** The index of the {@code >} closing the path, skipping quoted strings where {@code >} is text. */
    private static int closingBracket(String text, int from) {
        boolean quoted = false;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == '>') {
                return i;
            }
        }
        return -1;
    }

    private static @Nullable Mailbox mailbox(String path, boolean recipient) {
        if (utf8Length(path) + 2 > MAX_PATH) {
            return null;
        }
        int start = 0;
        if (path.startsWith("@")) {
            start = skipSourceRoute(path);
            if (start < 0) {
                return null;
            }
        }
        String address = path.substring(start);
        if (recipient && start == 0 && address.equalsIgnoreCase("postmaster")) {
            return new Mailbox(address, "");
        }
        int at = localPartEnd(address);
        if (at < 0 || at == 0 || at >= address.length() || address.charAt(at) != '@') {
            return null;
        }
        String localPart = address.substring(0, at);
        String domain = address.substring(at + 1);
        if (utf8Length(localPart) > MAX_LOCAL_PART) {
            return null;
        }
        boolean validDomain = domain.startsWith("[") ? isAddressLiteral(domain) : isDomain(domain);
        return validDomain ? new Mailbox(localPart, domain) : null;
    }

    /** Returns the index after the {@code :} of {@code @a,@b:}, or -1 if the route is malformed. */
    private static int skipSourceRoute(String path) {
        int i = 0;
        while (i < path.length() && path.charAt(i) == '@') {
            int end = i + 1;
            while (end < path.length() && path.charAt(end) != ',' && path.charAt(end) != ':') {
                if (path.charAt(end) == '[') {
                    end = path.indexOf(']', end);
                    if (end < 0) {
                        return -1;
                    }
                }
                end++;
            }
            if (end >= path.length()) {
                return -1;
            }
            String domain = path.substring(i + 1, end);
            if (!(domain.startsWith("[") ? isAddressLiteral(domain) : isDomain(domain))) {
                return -1;
            }
            if (path.charAt(end) == ':') {
                return end + 1;
            }
            i = end + 1;
        }
        return -1;
    }

    /** The index of the {@code @} after a valid dot-string or quoted-string local part, else -1. */
    private static int localPartEnd(String address) {
        if (address.startsWith("\"")) {
            for (int i = 1; i < address.length(); i++) {
                char c = address.charAt(i);
                if (c == '\\') {
                    i++;
                    if (i >= address.length() || !isQuotedPairChar(address.charAt(i))) {
                        return -1;
                    }
                } else if (c == '"') {
                    return i + 1;
                } else if (!isQtext(c)) {
                    return -1;
                }
            }
            return -1;
        }
        boolean atomStart = true;
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c == '@') {
                return atomStart ? -1 : i;
            }
            if (c == '.') {
                if (atomStart) {
                    return -1;
                }
                atomStart = true;
            } else if (isAtext(c)) {
                atomStart = false;
            } else {
                return -1;
            }
        }
        return -1;
    }

    private static boolean isAtext(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || c >= 0x80;
    }

    private static boolean isQtext(char c) {
        return c >= 32 && c <= 126 && c != '"' && c != '\\' || c >= 0x80;
    }

    private static boolean isQuotedPairChar(char c) {
        return c >= 32 && c <= 126;
    }

    /** Dot-separated LDH labels; U-labels (non-ASCII) are allowed here, the SMTPUTF8 check is separate. */
    private static boolean isDomain(String domain) {
        if (domain.isEmpty() || utf8Length(domain) > MAX_DOMAIN) {
            return false;
        }
        int labelStart = 0;
        for (int i = 0; i <= domain.length(); i++) {
            if (i == domain.length() || domain.charAt(i) == '.') {
                if (!isLabel(domain, labelStart, i)) {
                    return false;
                }
                labelStart = i + 1;
            }
        }
        return true;
    }

    private static boolean isLabel(String domain, int from, int to) {
        if (to <= from || utf8Length(domain.substring(from, to)) > MAX_LABEL
                || domain.charAt(from) == '-' || domain.charAt(to - 1) == '-') {
            return false;
        }
        for (int i = from; i < to; i++) {
            char c = domain.charAt(i);
            boolean ldh = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-';
            if (!ldh && c < 0x80) {
                return false;
            }
        }
        return true;
    }

    /** {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}; general address literals are not supported. */
    private static boolean isAddressLiteral(String literal) {
        if (literal.length() < 3 || literal.charAt(0) != '[' || literal.charAt(literal.length() - 1) != ']') {
            return false;
        }
        String inner = literal.substring(1, literal.length() - 1);
        if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
            return NetUtil.isValidIpV6Address(inner.substring(5));
        }
        return NetUtil.isValidIpV4Address(inner);
    }

    static boolean isAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static int utf8Length(String value) {
        return isAscii(value) ? value.length() : value.getBytes(StandardCharsets.UTF_8).length;
    }
}
