package dev.relay.engine.shaping;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One named entry of a shaping file: which mail it applies to (recipient {@code domains} and/or MX host suffixes
 * {@code mx}, each null when not given), the fields it sets and its reply rules (null when not given, so a user
 * entry can extend a shipped one of the same name without repeating or dropping its rules).
 */
public record ShapingEntry(String name, @Nullable List<String> domains, @Nullable List<String> mx,
                           ShapingFields fields, @Nullable List<ShapingRule> rules) {
    /** The entry every site starts from. */
    public static final String DEFAULT = "default";

    public ShapingEntry {
        Objects.requireNonNull(name, "name");
        domains = domains == null ? null : List.copyOf(domains);
        mx = mx == null ? null : List.copyOf(mx);
        Objects.requireNonNull(fields, "fields");
        rules = rules == null ? null : List.copyOf(rules);
    }

    /** A later entry of the same name: its fields win where set; domains, mx and rules replace when given. */
    ShapingEntry extendedBy(ShapingEntry later) {
        return new ShapingEntry(name, later.domains != null ? later.domains : domains, later.mx != null ? later.mx : mx,
                later.fields.over(fields), later.rules != null ? later.rules : rules);
    }

    List<ShapingRule> rulesOrNone() {
        return rules == null ? List.of() : rules;
    }
}
