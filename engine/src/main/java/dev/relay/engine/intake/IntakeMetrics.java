package dev.relay.engine.intake;

import dev.relay.engine.metrics.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counters of the bounce intake: {@code relay_bounce_intake_total{result}} for every report taken (bounced,
 * deferred, complaint, auto_reply, not_a_failure, kept, failed) and every RCPT refused (refused_forged,
 * refused_expired, refused_malformed). The result set is fixed, so the tag is bounded.
 */
public class IntakeMetrics {
    /** Counts nothing. */
    public static final IntakeMetrics NONE = new IntakeMetrics();

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    private IntakeMetrics() {
        this.registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    }

    public IntakeMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String r : new String[] {"bounced", "deferred", "complaint", "auto_reply", "not_a_failure", "kept",
                "failed", "refused_forged", "refused_expired", "refused_malformed"}) {
            counter(r);
        }
    }

    void refused(String why) {
        counter("refused_" + why).increment();
    }

    void result(String result) {
        counter(result).increment();
    }

    /** The count so far of {@code result} (for tests and the README's examples). */
    public double count(String result) {
        return counter(result).count();
    }

    private Counter counter(String result) {
        return counters.computeIfAbsent(result, r -> Counter.builder(MetricNames.BOUNCE_INTAKE).tag("result", r)
                .description("reports that came back to the bounce domain, by what became of them; refused_*: RCPT"
                        + " to a bounce address whose token did not verify (550 5.1.1)")
                .register(registry));
    }
}
