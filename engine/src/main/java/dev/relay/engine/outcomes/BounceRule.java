package dev.relay.engine.outcomes;

import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One classification rule: when the reply code starts with {@code code} ({@code 5}, {@code 55}, {@code 550}), the
 * enhanced status starts with {@code status} component by component ({@code 5.7} matches 5.7.1 and 5.7.26, not
 * 5.70.1; a leading {@code x} stands for either class, {@code x.2.2}) and {@code match} is found in the text
 * (case-insensitive), the failure is {@code category}, of class {@code bounceClass} or else the category's default.
 * Absent conditions always hold; at least one is present.
 */
public record BounceRule(String name, @Nullable String code, @Nullable String status, @Nullable Pattern match,
                         Category category, @Nullable BounceClass bounceClass) {
    public BounceRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(category, "category");
        if (code == null && status == null && match == null) {
            throw new IllegalArgumentException("rule " + name + " has no condition");
        }
    }

    /** {@code codeText}: the code as digits, empty when there was no reply; {@code statusText}: null when none. */
    boolean matches(String codeText, @Nullable String statusText, CharSequence text) {
        if (code != null && !codeText.startsWith(code)) {
            return false;
        }
        if (status != null && (statusText == null || !statusMatches(status, statusText))) {
            return false;
        }
        return match == null || match.matcher(text).find();
    }

    static boolean statusMatches(String prefix, String status) {
        if (prefix.charAt(0) == 'x') {
            return status.length() >= 1 && statusMatches(status.charAt(0) + prefix.substring(1), status);
        }
        return status.startsWith(prefix)
                && (status.length() == prefix.length() || status.charAt(prefix.length()) == '.');
    }

    /** The class this rule gives when it matches a reply with basic code {@code code}. */
    BounceClass classFor(int code) {
        if (code / 100 == 4) {
            return BounceClass.SOFT; // the server said "try again": nothing lasting is known about the address
        }
        return bounceClass != null ? bounceClass : category.defaultClass();
    }
}
