package dev.relay.engine.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes: {@code 123}, {@code 10KB}, {@code 30MB}, {@code 1GB}, {@code 2TB}; multiples are binary
 * (1KB = 1024), and {@code KiB}/{@code MiB}/{@code K}/{@code M} are accepted too. Case-insensitive.
 */
public final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?");

    private Sizes() {}

    /** Parses a non-negative size; throws {@link IllegalArgumentException} with a reason otherwise. */
    public static long parse(String text) {
        Matcher m = SIZE.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 123, 10KB, 30MB or 1GB");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        int shift = switch (unit.charAt(0)) {
            case 'k' -> 10;
            case 'm' -> 20;
            case 'g' -> 30;
            case 't' -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            return Math.multiplyExact(n, 1L << shift);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size too large", e);
        }
    }
}
