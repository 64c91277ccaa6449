package dev.relay.engine.metrics;

import dev.relay.storage.SpoolObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Group-commit latency and batch sizes, fed by the spool's observer callbacks. */
public final class SpoolMetrics implements SpoolObserver {
    private final Timer commit;
    private final DistributionSummary batchSize;
    private final Counter failures;

    public SpoolMetrics(MeterRegistry registry) {
        this.commit = Timer.builder(MetricNames.SPOOL_COMMIT)
                .description("duration of one group commit (insert + COMMIT)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        this.batchSize = DistributionSummary.builder(MetricNames.SPOOL_BATCH_SIZE)
                .description("messages per group commit").register(registry);
        this.failures = Counter.builder(MetricNames.SPOOL_BATCH_FAILURES)
                .description("group commits that failed; their messages got 451").register(registry);
    }

    @Override
    public void batchCommitted(int messages, long nanos) {
        commit.record(nanos, TimeUnit.NANOSECONDS);
        batchSize.record(messages);
    }

    @Override
    public void batchFailed(int messages, Throwable cause) {
        failures.increment();
    }
}
