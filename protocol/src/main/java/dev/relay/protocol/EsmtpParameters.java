package dev.relay.protocol;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * ESMTP parameters of MAIL (SIZE, BODY, SMTPUTF8, AUTH, and DSN's RET, ENVID) and RCPT (DSN's NOTIFY,
 * ORCPT). Keywords are ASCII case-insensitive; anything else is 555, a repeated keyword or a
 * malformed value is 501. DSN parameters are validated and dropped: the relay does not offer DSN
 * but tolerates clients that send them anyway.
 */
final class EsmtpParameters {
    private static final SmtpReply UNSUPPORTED = SmtpReply.of(555, "5.5.4", "Unsupported parameter");
    private static final SmtpReply UTF8_NOT_OFFERED = SmtpReply.of(555, "5.5.4", "SMTPUTF8 not offered");
    private static final SmtpReply DUPLICATE = SmtpReply.of(501, "5.5.4", "Duplicate parameter");
    private static final SmtpReply BAD_VALUE = SmtpReply.of(501, "5.5.4", "Bad parameter value");

    private EsmtpParameters() {
    }

    /** The MAIL parameters as {@code Ok(null, parameters)}, or the rejection. */
    static PathResult mail(List<String> parameters, boolean smtputf8Offered) {
        long size = -1;
        MailParameters.Body body = MailParameters.Body.SEVEN_BIT;
        boolean smtputf8 = false;
        String auth = null;
        Set<String> seen = new HashSet<>();
        for (String parameter : parameters) {
            int eq = parameter.indexOf('=');
            String key = key(parameter, eq);
            String value = eq < 0 ? null : parameter.substring(eq + 1);
            if (!isKnownMailParameter(key)) {
                return new PathResult.Rejected(UNSUPPORTED);
            }
            if (!seen.add(key)) {
                return new PathResult.Rejected(DUPLICATE);
            }
            switch (key) {
                case "SIZE" -> {
                    if (value == null || value.isEmpty() || value.length() > 18 || !isDigits(value)) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                    size = Long.parseLong(value);
                }
                case "BODY" -> {
                    MailParameters.Body parsed = body(value);
                    if (parsed == null) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                    body = parsed;
                }
                case "SMTPUTF8" -> {
                    if (!smtputf8Offered) {
                        return new PathResult.Rejected(UTF8_NOT_OFFERED);
                    }
                    if (value != null) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                    smtputf8 = true;
                }
                case "AUTH" -> {
                    if (value == null || !isXtext(value)) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                    auth = value;
                }
                case "RET" -> {
                    if (!"FULL".equalsIgnoreCase(value) && !"HDRS".equalsIgnoreCase(value)) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                }
                case "ENVID" -> {
                    if (value == null || value.length() > 100 || !isXtext(value)) {
                        return new PathResult.Rejected(BAD_VALUE);
                    }
                }
                default -> throw new IllegalStateException(key);
            }
        }
        return new PathResult.Ok(null, new MailParameters(size, body, smtputf8, auth));
    }

    /**
     * The upper-cased keyword; non-ASCII keywords are kept as they are, so they stay unknown rather
     * than being folded into a known one (U+017F upper-cases to "S").
     */
    private static String key(String parameter, int eq) {
        String key = eq < 0 ? parameter : parameter.substring(0, eq);
        return PathParser.isAscii(key) ? key.toUpperCase(Locale.ROOT) : key;
    }

    private static boolean isKnownMailParameter(String key) {
        return switch (key) {
            case "SIZE", "BODY", "SMTPUTF8", "AUTH", "RET", "ENVID" -> true;
            default -> false;
        };
    }

    private static MailParameters.@Nullable Body body(@Nullable String value) {
        if (value == null || !PathParser.isAscii(value)) {
            return null;
        }
        return switch (value.toUpperCase(Locale.ROOT)) {
            case "7BIT" -> MailParameters.Body.SEVEN_BIT;
            case "8BITMIME" -> MailParameters.Body.EIGHT_BIT_MIME;
            case "BINARYMIME" -> MailParameters.Body.BINARY_MIME;
            default -> null;
        };
    }

    /** Null if the RCPT parameters are acceptable, else the rejection. */
    static @Nullable SmtpReply rcpt(List<String> parameters) {
        Set<String> seen = new HashSet<>();
        for (String parameter : parameters) {
            int eq = parameter.indexOf('=');
            String key = key(parameter, eq);
            String value = eq < 0 ? null : parameter.substring(eq + 1);
            if (!key.equals("NOTIFY") && !key.equals("ORCPT")) {
                return UNSUPPORTED;
            }
            if (!seen.add(key)) {
                return DUPLICATE;
            }
            boolean valid = key.equals("NOTIFY") ? isNotify(value) : isOrcpt(value);
            if (!valid) {
                return BAD_VALUE;
            }
        }
        return null;
    }

    /** RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY. */
    private static boolean isNotify(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        if (value.equalsIgnoreCase("NEVER")) {
            return true;
        }
        for (String item : value.split(",", -1)) {
            if (!item.equalsIgnoreCase("SUCCESS") && !item.equalsIgnoreCase("FAILURE")
                    && !item.equalsIgnoreCase("DELAY")) {
                return false;
            }
        }
        return true;
    }

    /** RFC 3461 4.2: addr-type ";" xtext. */
    private static boolean isOrcpt(@Nullable String value) {
        if (value == null) {
            return false;
        }
        int semicolon = value.indexOf(';');
        return semicolon > 0 && semicolon < value.length() - 1 && isXtext(value.substring(semicolon + 1));
    }

    /** RFC 3461 4: printable ASCII except "+" and "=", or "+" and two upper-case hex digits. */
    private static boolean isXtext(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '+') {
                if (i + 2 >= value.length() || !isHex(value.charAt(i + 1)) || !isHex(value.charAt(i + 2))) {
                    return false;
                }
                i += 2;
            } else if (c < 33 || c > 126 || c == '=') {
                return false;
            }
        }
        return true;
    }

    private static boolean isHex(char c) {
        return c >= '0' && c <= '9' || c >= 'A' && c <= 'F';
    }

    private static boolean isDigits(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
