package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import dev.relay.protocol.EnhancedStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, validated list of classification rules: the user's rules first, in file order, then the shipped
 * ones (minus those the user's file disables or replaces by name). How a failure is classified:
 * <ol>
 *   <li>the first rule that matches (code prefix, status prefix, regex on the first {@value #MAX_TEXT} characters of
 *       the text);</li>
 *   <li>else the enhanced status by its subject and detail (RFC 3463: x.1.1 unknown user, x.2.2 mailbox full, x.7.1
 *       policy, ...; a reply without one but with qmail's {@code (#5.1.1)} in its text uses that);</li>
 *   <li>else the basic code: {@code other}, hard for 5xx, soft for 4xx; no reply at all (code 0) is {@code network}.</li>
 * </ol>
 * A 4xx reply is always soft, whatever the rule says: the server asked to try again. Rules are compiled once, with
 * the literals each regex needs ({@link Needles}) so most rules are ruled out by a substring search; a
 * classification reads at most {@value #MAX_TEXT} characters with each regex, and a regex that exceeds
 * {@value #STEP_BUDGET} character reads on one text is abandoned as not matching (counted in {@link #abandoned()}).
 */
public final class BounceRules implements BounceClassifier {
    /** Characters of reply text the rules read; longer replies are judged on their start. */
    public static final int MAX_TEXT = 2000;
    /** Character reads one regex may make on one text (a linear pattern needs a few per character). */
    static final long STEP_BUDGET = 200L * MAX_TEXT;

    private final BounceRule[] rules;
    /** Per rule, literals its regex needs (any one of them), or null: always run it. See {@link Needles}. */
    private final String[] @Nullable [] needles;
    private final int userRules;
    private final int disabled;
    private final AtomicLong abandoned = new AtomicLong();

    private BounceRules(List<BounceRule> rules, int userRules, int disabled) {
        this.rules = rules.toArray(BounceRule[]::new);
        this.needles = new String[this.rules.length][];
        for (int i = 0; i < this.rules.length; i++) {
            Pattern p = this.rules[i].match();
            // a pattern compiled with other flags than the file's may compare differently: no shortcut for it
            this.needles[i] = p == null || p.flags() != Pattern.CASE_INSENSITIVE ? null : Needles.of(p.pattern());
        }
        this.userRules = userRules;
        this.disabled = disabled;
    }

    /** The shipped rules alone. */
    public static BounceRules shipped() {
        return new BounceRules(BounceRulesFile.shipped().rules(), 0, 0);
    }

    /**
     * The user's file layered over the shipped one; {@code userSource} names the user's file in errors.
     *
     * @throws ConfigException when the user's file disables a rule the shipped file does not have
     */
    public static BounceRules of(BounceRulesFile.Parsed shipped, BounceRulesFile.Parsed user, String userSource) {
        Set<String> shippedNames = new HashSet<>();
        shipped.rules().forEach(r -> shippedNames.add(r.name()));
        Set<String> dropped = new HashSet<>();
        for (int i = 0; i < user.disable().size(); i++) {
            String name = user.disable().get(i);
            if (!shippedNames.contains(name)) {
                throw new ConfigException(userSource, "disable[" + i + "]", name, "no shipped rule has this name"
                        + " (see `relay bounces check` for the list)");
            }
            dropped.add(name);
        }
        user.rules().forEach(r -> dropped.add(r.name()));
        List<BounceRule> all = new ArrayList<>(user.rules());
        int removed = 0;
        for (BounceRule r : shipped.rules()) {
            if (dropped.contains(r.name())) {
                removed++;
            } else {
                all.add(r);
            }
        }
        return new BounceRules(all, user.rules().size(), removed);
    }

    @Override
    public Classification classify(int code, @Nullable EnhancedStatus status, CharSequence text) {
        String bounded = text.length() > MAX_TEXT ? text.subSequence(0, MAX_TEXT).toString() : text.toString();
        String codeText = code > 0 ? Integer.toString(code) : "";
        if (status == null) {
            status = qmailStatus(bounded, code);
        }
        String statusText = status == null ? null : status.toString();
        BoundedText reads = new BoundedText(bounded);
        String lower = Needles.asciiLower(bounded);
        for (int i = 0; i < rules.length; i++) {
            BounceRule rule = rules[i];
            if (needles[i] != null && !Needles.anyIn(needles[i], lower)) {
                continue; // its regex cannot match: spare the scan
            }
            try {
                if (rule.matches(codeText, statusText, reads.reset(STEP_BUDGET))) {
                    return new Classification(rule.category(), rule.classFor(code), rule.name());
                }
            } catch (BoundedText.Exhausted e) {
                abandoned.incrementAndGet();
            }
        }
        if (status != null) {
            Category byStatus = byStatus(status);
            if (byStatus != null) {
                BounceClass c = code / 100 == 4 || status.klass() == 4 ? BounceClass.SOFT : byStatus.defaultClass();
                return new Classification(byStatus, c, "status:" + statusText);
            }
        }
        if (code == 0) {
            return new Classification(Category.NETWORK, BounceClass.SOFT, "code:none");
        }
        return new Classification(Category.OTHER, code / 100 == 5 ? BounceClass.HARD : BounceClass.SOFT,
                "code:" + code / 100 + "xx");
    }

    /** RFC 3463 subject and detail → category; null for those that say nothing a sender can act on. */
    static @Nullable Category byStatus(EnhancedStatus s) {
        int d = s.detail();
        return switch (s.subject()) {
            case 1 -> switch (d) {
                case 1, 3, 6 -> Category.UNKNOWN_USER;      // no such mailbox, bad syntax, moved without forwarding
                case 2, 10 -> Category.UNKNOWN_DOMAIN;      // no such domain, null MX (RFC 7505)
                default -> null;
            };
            case 2 -> switch (d) {
                case 1 -> Category.MAILBOX_DISABLED;
                case 2 -> Category.MAILBOX_FULL;
                case 3 -> Category.MESSAGE_TOO_LARGE;       // message length exceeds administrative limit
                default -> null;
            };
            case 3 -> d == 4 ? Category.MESSAGE_TOO_LARGE : null;
            case 4 -> switch (d) {
                case 0, 1, 2, 3 -> Category.NETWORK;        // no answer, bad connection, routing server failure
                case 4 -> Category.UNKNOWN_DOMAIN;          // unable to route: no MX and no address
                case 5 -> Category.RATE_LIMITED;            // system congestion
                case 7 -> Category.EXPIRED;
                default -> null;
            };
            case 7 -> switch (d) {
                case 13 -> Category.MAILBOX_DISABLED;       // user account disabled
                case 17 -> Category.UNKNOWN_USER;           // mailbox owner has changed
                case 18 -> Category.UNKNOWN_DOMAIN;         // domain owner has changed
                case 20, 21, 22, 23, 24, 26 -> Category.AUTHENTICATION; // RFC 7372 DKIM, SPF, multiple
                case 28 -> Category.RATE_LIMITED;           // mail flood detected
                case 4, 5 -> Category.NETWORK;              // TLS not supported, cryptographic failure
                default -> Category.POLICY;                 // 7.1 not authorized, 7.25 reverse DNS, 7.27, ...
            };
            default -> null;
        };
    }

    /** qmail writes the status at the end in parentheses: {@code 553 sorry, ... (#5.7.1)}. */
    private static @Nullable EnhancedStatus qmailStatus(String text, int code) {
        int at = text.indexOf("(#");
        if (at < 0) {
            return null;
        }
        int close = text.indexOf(')', at);
        if (close < 0 || close - at > 12) {
            return null;
        }
        try {
            EnhancedStatus s = EnhancedStatus.parse(text.substring(at + 2, close));
            return code == 0 || s.klass() == code / 100 ? s : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    public List<BounceRule> rules() {
        return List.of(rules);
    }

    /** Regex evaluations abandoned for exceeding the step budget since this table was built. */
    public long abandoned() {
        return abandoned.get();
    }

    /** For logs and {@code relay bounces check}: how many rules, from where. */
    public String summary() {
        return rules.length + " rules (" + userRules + " yours, " + (rules.length - userRules) + " shipped"
                + (disabled > 0 ? ", " + disabled + " shipped disabled or replaced" : "") + ")";
    }
}
