package dev.relay.engine.config;

/** Range checks that throw {@link ConfigException} naming the key. */
final class Limits {
    private Limits() {}

    static void check(String key, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(key, String.valueOf(value), "must be between " + min + " and " + max);
        }
    }

    static void positive(String key, java.time.Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new ConfigException(key, d.toString(), "must be greater than zero");
        }
    }
}
