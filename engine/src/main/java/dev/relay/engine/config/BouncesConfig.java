package dev.relay.engine.config;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * {@code bounces}: the user's bounce classification rules ({@code rules}, a path relative to {@code relay.yaml}),
 * tried before the shipped {@code bounce-rules.yaml} and re-read when it changes; null: the shipped rules only.
 * {@code verp}: see {@link VerpConfig}.
 */
public record BouncesConfig(@Nullable Path rulesFile, VerpConfig verp) {
    public BouncesConfig {
        java.util.Objects.requireNonNull(verp, "bounces.verp");
        if (rulesFile != null && rulesFile.toString().isBlank()) {
            throw new ConfigException("bounces.rules", "", "must not be empty; leave the key out for the shipped rules"
                    + " only");
        }
    }

    /** Without VERP. */
    public BouncesConfig(@Nullable Path rulesFile) {
        this(rulesFile, VerpConfig.defaults());
    }

    public static BouncesConfig defaults() {
        return new BouncesConfig(null);
    }
}
