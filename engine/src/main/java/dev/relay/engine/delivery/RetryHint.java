package dev.relay.engine.delivery;

import dev.relay.protocol.EnhancedStatus;
import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What a 4xx reply says about coming back: whether it looks like greylisting, and the wait it states, if any.
 *
 * <p>Greylisting servers word this freely, so {@link #read} looks at the text of every line (joined, since a phrase
 * may wrap onto the next line) for the forms seen in the wild:
 * <ul>
 *   <li>a retry verb followed by {@code in}/{@code after} and a duration: "try again in 300 seconds" (many
 *       Postfix policy servers), "Please try delivery again in 240 seconds", "retry after 120 seconds",
 *       "please try again later in 60s", "Please try again after 2 minutes";
 *   <li>"wait 300 seconds" (postgrey with a custom text), "Greylisted for 181 seconds" / "greylisted for 5 minutes"
 *       (sqlgrey-style; "for" counts only right after the word greylisted, since "quota exceeded for 3 days" is no
 *       wait);
 *   <li>milter-greylist's "please come back in 00:09:00" (h:mm:ss);
 *   <li>rspamd with {@code report_time}: "Try again later: Thu, 09 Jan 2025 11:22:33 GMT" (an absolute time, read
 *       against {@code now}; one in the past is a wait of zero).
 * </ul>
 * Several stated waits: the longest counts, since coming back early only restarts many greylisting clocks. Units:
 * s/sec/second(s), m/min/minute(s), h/hr/hour(s); a placeholder such as "Greylisted for XX sec." states nothing.
 *
 * <p>Greylisting without a stated wait is recognised by the word (greylist, graylist, grey-listed, GreyList ...),
 * or, for replies that do not say it, by the shape the common greylisters give it: 450 or 451 with no enhanced
 * status, 4.2.0 or 4.7.1, and a "try again later" text (rspamd's "451 4.7.1 Try again later", Plesk's "451 4.7.1
 * Service unavailable - try again later"). Provider throttling is not greylisting and must not be retried early:
 * Microsoft's "451 4.7.500 Server busy. Please try again later", Gmail's "421 4.7.0 Try again later, closing
 * connection" and "450 4.2.1 ... at a later time" all fail the status or code test.
 */
public record RetryHint(boolean greylisting, @Nullable Duration retryAfter) {
    /** Nothing known: follow the retry schedule. */
    public static final RetryHint NONE = new RetryHint(false, null);

    private static final String AMOUNT = "(\\d{1,9})\\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\\b";
    private static final Pattern RETRY_IN = Pattern.compile(
            "\\b(?:try|retry|come\\s+back|resend|deliver)\\b[^.;!?]{0,60}?\\b(?:in|after)\\s+(?:about\\s+)?" + AMOUNT,
            Pattern.CASE_INSENSITIVE);
    private static final Pattern WAIT = Pattern.compile("\\bwait\\s+(?:for\\s+)?" + AMOUNT, Pattern.CASE_INSENSITIVE);
    private static final Pattern GREYLISTED_FOR = Pattern.compile("\\bgr[ae]y-?\\s?list\\w*\\s+for\\s+" + AMOUNT,
            Pattern.CASE_INSENSITIVE);
    private static final Pattern CLOCK = Pattern.compile("\\b(?:in|after)\\s+(\\d{1,3}):([0-5]\\d):([0-5]\\d)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DATE = Pattern.compile("\\b(?:until|after|later|retry)\\b[^0-9]{0,12}?"
            + "((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\\s+\\d{1,2}\\s+[A-Z][a-z]{2}\\s+\\d{4}\\s+\\d{2}:\\d{2}:\\d{2}\\s+"
            + "(?:GMT|UTC|UT|[+-]\\d{4}))", Pattern.CASE_INSENSITIVE);
    private static final Pattern GREYLIST_WORD = Pattern.compile("\\bgr[ae]y[- ]?list", Pattern.CASE_INSENSITIVE);
    private static final Pattern TRY_LATER = Pattern.compile("\\b(?:try|retry|come\\s+back)\\b[^.;!?]{0,20}?\\blater\\b",
            Pattern.CASE_INSENSITIVE);

    public RetryHint {
        if (retryAfter != null && retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative, was " + retryAfter);
        }
    }

    /** Reads a reply received at {@code now}; anything but a 4xx gives {@link #NONE}. */
    public static RetryHint read(SmtpReply reply, Instant now) {
        Objects.requireNonNull(now, "now");
        if (reply.code() / 100 != 4) {
            return NONE;
        }
        String text = String.join(" ", reply.lines());
        Duration wait = statedWait(text, now);
        boolean greylisting = GREYLIST_WORD.matcher(text).find() || looksLikeUnnamedGreylisting(reply, text);
        return greylisting || wait != null ? new RetryHint(greylisting, wait) : NONE;
    }

    private static boolean looksLikeUnnamedGreylisting(SmtpReply reply, String text) {
        if (reply.code() != 450 && reply.code() != 451) {
            return false;
        }
        EnhancedStatus s = reply.status();
        boolean typical = s == null || (s.subject() == 2 && s.detail() == 0) || (s.subject() == 7 && s.detail() == 1);
        return typical && TRY_LATER.matcher(text).find();
    }

    /** The longest wait the text states, or null. */
    static @Nullable Duration statedWait(String text, Instant now) {
        Duration longest = null;
        for (Pattern p : new Pattern[] {RETRY_IN, WAIT, GREYLISTED_FOR}) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                longest = longer(longest, amount(m.group(1), m.group(2)));
            }
        }
        Matcher clock = CLOCK.matcher(text);
        while (clock.find()) {
            longest = longer(longest, Duration.ofHours(Long.parseLong(clock.group(1)))
                    .plusMinutes(Long.parseLong(clock.group(2))).plusSeconds(Long.parseLong(clock.group(3))));
        }
        Matcher date = DATE.matcher(text);
        while (date.find()) {
            Instant until = parseDate(date.group(1));
            if (until != null) {
                Duration left = Duration.between(now, until);
                longest = longer(longest, left.isNegative() ? Duration.ZERO : left);
            }
        }
        return longest;
    }

    private static Duration amount(String number, String unit) {
        long n = Long.parseLong(number);
        char u = Character.toLowerCase(unit.charAt(0));
        return u == 'h' ? Duration.ofHours(n) : u == 'm' ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
    }

    private static @Nullable Instant parseDate(String text) {
        // RFC_1123_DATE_TIME parses case-insensitively but knows the zone only as GMT or +hhmm
        String normalized = text.replaceAll("\\s+", " ").replaceFirst("(?i) (UTC|UT|GMT)$", " GMT");
        try {
            return ZonedDateTime.parse(normalized, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null; // a day of week that does not fit the date, and the like: no stated time, not a wrong one
        }
    }

    private static Duration longer(@Nullable Duration a, Duration b) {
        return a == null || b.compareTo(a) > 0 ? b : a;
    }
}
