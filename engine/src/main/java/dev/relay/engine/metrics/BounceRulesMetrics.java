package dev.relay.engine.metrics;

import dev.relay.engine.outcomes.ReloadingBounceRules;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The bounce rules file's reload counters, and the regex evaluations abandoned for exceeding their step budget (a
 * user's pattern that backtracks catastrophically on some reply), all read from {@link ReloadingBounceRules} on
 * scrape.
 */
public final class BounceRulesMetrics {
    private BounceRulesMetrics() {
    }

    public static void bind(MeterRegistry registry, ReloadingBounceRules rules) {
        FunctionCounter.builder(MetricNames.BOUNCE_RULES_RELOADS, rules, ReloadingBounceRules::reloads)
                .description("changes of the bounce rules file that were loaded and took effect").register(registry);
        FunctionCounter.builder(MetricNames.BOUNCE_RULES_RELOAD_FAILURES, rules, ReloadingBounceRules::failures)
                .description("changes of the bounce rules file that were invalid; the previous version stayed in"
                        + " force").register(registry);
        FunctionCounter.builder(MetricNames.BOUNCE_RULES_ABANDONED, rules, ReloadingBounceRules::abandoned)
                .description("bounce rule regexes abandoned on one reply for exceeding their step budget (a"
                        + " pattern that backtracks catastrophically; fix the rule)").register(registry);
    }
}
