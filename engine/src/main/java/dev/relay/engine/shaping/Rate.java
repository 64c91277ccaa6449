package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A rate such as {@code 100/s} or {@code 2000/h}: at most {@code count} events per {@code per}. */
public record Rate(long count, Duration per) {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(s|sec|second|m|min|minute|h|hour|d|day)\\s*");

    public Rate {
        if (count < 1) {
            throw new IllegalArgumentException("rate count must be >= 1, was " + count);
        }
        Objects.requireNonNull(per, "per");
        if (per.isZero() || per.isNegative()) {
            throw new IllegalArgumentException("rate period must be positive, was " + per);
        }
    }

    /** Parses {@code N/s}, {@code N/m}, {@code N/h} or {@code N/d}; {@code key} names the setting in errors. */
    public static Rate parse(String key, String text) {
        Matcher m = FORM.matcher(text.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new ConfigException(key, text, "expected a rate such as 100/s, 600/m, 2000/h or 10000/d");
        }
        long count = Long.parseLong(m.group(1));
        if (count < 1) {
            throw new ConfigException(key, text, "the count must be at least 1");
        }
        Duration per = switch (m.group(2).charAt(0)) {
            case 's' -> Duration.ofSeconds(1);
            case 'm' -> Duration.ofMinutes(1);
            case 'h' -> Duration.ofHours(1);
            default -> Duration.ofDays(1);
        };
        return new Rate(count, per);
    }

    /** The mean spacing between two events at this rate. */
    public Duration interval() {
        return per.dividedBy(count);
    }

    /** Events per second, for metrics and comparisons. */
    public double perSecond() {
        return count / (per.toNanos() / 1e9);
    }

    @Override
    public String toString() {
        String unit = per.equals(Duration.ofSeconds(1)) ? "s" : per.equals(Duration.ofMinutes(1)) ? "m"
                : per.equals(Duration.ofHours(1)) ? "h" : per.equals(Duration.ofDays(1)) ? "d" : per.toString();
        return count + "/" + unit;
    }
}
