package dev.relay.engine.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.storage.Priority;
import dev.relay.storage.SpoolUnavailableException;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

class SystemDirectoryTest {
    private static final Instant T = Instant.EPOCH;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong nanos = new AtomicLong();
    private final AtomicReference<Mono<Snapshot>> next = new AtomicReference<>();
    private final SystemDirectory directory = new SystemDirectory(next::get, Duration.ofSeconds(5),
            Schedulers.immediate(), registry, nanos::get);

    private static Snapshot one(String name) {
        return new Snapshot(List.of(new SystemInfo(name, true, Priority.TRANSACTIONAL, null, false, T, T)), List.of(),
                List.of());
    }

    private double refreshes(String result) {
        return registry.get("relay.systems.refreshes").tag("result", result).counter().count();
    }

    @Test
    void aFailedReadKeepsTheLastSnapshotAndIsCounted() {
        List<Identities> seen = new ArrayList<>();
        directory.onRefresh(seen::add);
        next.set(Mono.just(one("shop")));
        directory.refresh().block();
        assertThat(directory.current().system("shop")).isNotNull();
        nanos.addAndGet(Duration.ofSeconds(7).toNanos());

        next.set(Mono.error(new SpoolUnavailableException("systems failed: connection refused")));
        assertThatThrownBy(() -> directory.refresh().block()).hasMessageContaining("connection refused");
        assertThat(directory.current().system("shop")).as("the last snapshot stays in force").isNotNull();
        assertThat(refreshes("failed")).isEqualTo(1);
        assertThat(refreshes("ok")).isEqualTo(1);
        assertThat(registry.get("relay.systems.snapshot.age").gauge().value()).isEqualTo(7.0);
        assertThat(seen).hasSize(1);

        next.set(Mono.just(one("crm")));
        directory.refresh().block();
        assertThat(directory.current().system("shop")).isNull();
        assertThat(directory.current().system("crm")).isNotNull();
        assertThat(registry.get("relay.systems.snapshot.age").gauge().value()).isZero();
        assertThat(seen).hasSize(2);
    }

    /**
     * An admin change refreshes at once while a periodic read may be under way: the read that started first and
     * ends last must not put the state from before the change back (SystemsIT saw a disabled system still log in).
     */
    @Test
    void aReadThatStartedEarlierDoesNotReplaceALaterOneInForce() {
        List<Identities> seen = new ArrayList<>();
        directory.onRefresh(seen::add);
        Sinks.One<Snapshot> before = Sinks.one();
        Sinks.One<Snapshot> after = Sinks.one();
        next.set(before.asMono());
        AtomicReference<Identities> periodic = new AtomicReference<>();
        directory.refresh().subscribe(periodic::set);
        next.set(after.asMono());
        AtomicReference<Identities> admin = new AtomicReference<>();
        directory.refresh().subscribe(admin::set);

        after.tryEmitValue(one("crm"));
        before.tryEmitValue(one("shop"));

        assertThat(directory.current().system("crm")).isNotNull();
        assertThat(directory.current().system("shop")).as("the older read is not installed").isNull();
        assertThat(periodic.get()).isSameAs(directory.current());
        assertThat(admin.get()).isSameAs(directory.current());
        assertThat(seen).containsExactly(directory.current());
        assertThat(refreshes("ok")).isEqualTo(2);

        next.set(Mono.just(one("erp")));
        directory.refresh().block();
        assertThat(directory.current().system("erp")).as("a read started later still replaces it").isNotNull();
    }
}
