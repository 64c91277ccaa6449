package dev.relay.engine.outcomes;

import java.util.Objects;

/**
 * One failure, classified: its category, its class, and the name of the rule that decided (a rule of the shipped or
 * the user's file, or {@code status:x.y.z} / {@code code:5xx} for the fallbacks), so an operator can see why.
 */
public record Classification(Category category, BounceClass bounceClass, String rule) {
    public Classification {
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(bounceClass, "bounceClass");
        Objects.requireNonNull(rule, "rule");
    }

    public boolean isHard() {
        return bounceClass == BounceClass.HARD;
    }
}
