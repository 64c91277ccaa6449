package dev.relay.engine.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.metrics.BounceRulesMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reload and budget counters under the names the README gives, in a real Prometheus scrape. */
class BounceRulesMetricsTest {
    @Test
    void reloadsFailuresAndAbandonedMatchesAreScraped(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, "rules:\n  - name: evil\n    match: '(.*a){12}$'\n    category: policy\n");
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ReloadingBounceRules rules = new ReloadingBounceRules(file, Duration.ofHours(1))) {
            BounceRulesMetrics.bind(registry, rules);
            rules.classify(550, null, "a".repeat(30) + "!");
            Files.writeString(file, "rules: nonsense\n");
            rules.poll();
            Files.writeString(file, "rules: []\n");
            rules.poll();
            String scrape = registry.scrape();
            assertThat(scrape).contains("relay_bounce_rules_reload_failures_total 1.0",
                    "relay_bounce_rules_reloads_total 1.0", "relay_bounce_rules_abandoned_matches_total 1.0");
        }
    }
}
