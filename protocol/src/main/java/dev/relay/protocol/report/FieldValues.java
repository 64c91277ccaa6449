package dev.relay.protocol.report;

import dev.relay.protocol.EnhancedStatus;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Values of DSN and ARF fields: typed addresses and MTA names, enhanced status codes, RFC 5322 dates. */
final class FieldValues {
    /** RFC 5322 4.3: the obsolete zone names, which {@link DateTimeFormatter#RFC_1123_DATE_TIME} lacks. */
    private static final Map<String, String> OBSOLETE_ZONES = Map.of("UT", "+0000", "EST", "-0500", "EDT", "-0400",
            "CST", "-0600", "CDT", "-0500", "MST", "-0700", "MDT", "-0600", "PST", "-0800", "PDT", "-0700");

    private FieldValues() {
    }

    /** {@code rfc822; a@b} → {@code a@b}: the value after the type. */
    static @Nullable String typed(@Nullable String value) {
        if (value == null) {
            return null;
        }
        int semicolon = value.indexOf(';');
        String v = semicolon < 0 ? value : value.substring(semicolon + 1).strip();
        return v.isEmpty() ? null : v;
    }

    /** {@code rfc822; <a@b>} → {@code a@b}. */
    static @Nullable String recipient(@Nullable String value) {
        return address(typed(value));
    }

    /** Drops angle brackets around an address. */
    static @Nullable String address(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        if (v.startsWith("<") && v.endsWith(">") && v.length() > 2) {
            v = v.substring(1, v.length() - 1).strip();
        }
        return v.isEmpty() ? null : v;
    }

    static @Nullable EnhancedStatus status(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        int space = v.indexOf(' ');
        try {
            return EnhancedStatus.parse(space < 0 ? v : v.substring(0, space));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** An RFC 5322 date with its trailing comment, e.g. {@code Fri, 13 Nov 2020 09:42:35 +0900 (JST)}. */
    static @Nullable Instant date(@Nullable String value) {
        if (value == null) {
            return null;
        }
        String v = value.strip();
        int comment = v.indexOf('(');
        if (comment > 0) {
            v = v.substring(0, comment).strip();
        }
        int comma = v.indexOf(',');
        if (comma >= 0 && comma <= 4) {
            v = v.substring(comma + 1).strip(); // the day name is redundant, and often wrong (RFC 5965's example)
        }
        int space = v.lastIndexOf(' ');
        if (space > 0) {
            String zone = OBSOLETE_ZONES.get(v.substring(space + 1).toUpperCase(Locale.ROOT));
            if (zone != null) {
                v = v.substring(0, space + 1) + zone;
            }
        }
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
