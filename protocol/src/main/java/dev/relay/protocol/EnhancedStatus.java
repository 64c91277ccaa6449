package dev.relay.protocol;

/** An RFC 3463 enhanced status code, {@code class.subject.detail}. */
public record EnhancedStatus(int klass, int subject, int detail) {
    public EnhancedStatus {
        if (klass != 2 && klass != 4 && klass != 5) {
            throw new IllegalArgumentException("enhanced status class must be 2, 4 or 5, was " + klass);
        }
        if (subject < 0 || subject > 999) {
            throw new IllegalArgumentException("enhanced status subject must be 0..999, was " + subject);
        }
        if (detail < 0 || detail > 999) {
            throw new IllegalArgumentException("enhanced status detail must be 0..999, was " + detail);
        }
    }

    /** Parses {@code "2.1.0"}; throws IllegalArgumentException on anything else. */
    public static EnhancedStatus parse(String text) {
        int first = text.indexOf('.');
        int second = first < 0 ? -1 : text.indexOf('.', first + 1);
        if (second < 0) {
            throw new IllegalArgumentException("not an enhanced status code: " + text);
        }
        return new EnhancedStatus(number(text, 0, first, 1), number(text, first + 1, second, 3),
                number(text, second + 1, text.length(), 3));
    }

    private static int number(String text, int from, int to, int maxDigits) {
        if (to <= from || to - from > maxDigits) {
            throw new IllegalArgumentException("not an enhanced status code: " + text);
        }
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("not an enhanced status code: " + text);
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    @Override
    public String toString() {
        return klass + "." + subject + "." + detail;
    }
}
