package dev.relay.engine.events;

import dev.relay.storage.EventPartitions;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Runs {@link EventPartitions} at start and then every {@code interval} on a timer; the work itself is R2DBC calls,
 * so nothing waits on a thread. A failed run is logged and the next tick tries again (inserts never depend on it:
 * the default partition takes rows no day partition covers). Runs never overlap on one node; across nodes the
 * storage side serialises them. The only mutable state, the subscription, is set once in {@link #start}.
 */
public final class EventMaintenance implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventMaintenance.class);

    private final Disposable task;

    private EventMaintenance(Disposable task) {
        this.task = task;
    }

    public static EventMaintenance start(EventPartitions partitions, Duration interval, Scheduler timers) {
        Objects.requireNonNull(partitions, "partitions");
        Disposable task = Flux.interval(Duration.ZERO, interval, timers).onBackpressureDrop()
                .concatMap(tick -> partitions.run()
                        .doOnNext(r -> {
                            if (!r.created().isEmpty() || !r.dropped().isEmpty() || r.defaultRowsDeleted() > 0
                                    || r.rollupRowsDeleted() > 0) {
                                log.info("event partitions: created {}, dropped {}, {} old rows of the default"
                                        + " partition and {} rollup rows deleted", r.created(), r.dropped(),
                                        r.defaultRowsDeleted(), r.rollupRowsDeleted());
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("event partition upkeep failed (next try in {}): {}", interval, e.toString());
                            return Mono.empty();
                        }), 1)
                .subscribe();
        return new EventMaintenance(task);
    }

    @Override
    public void close() {
        task.dispose();
    }
}
