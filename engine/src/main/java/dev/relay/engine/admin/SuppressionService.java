package dev.relay.engine.admin;

import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.storage.PgSuppressions;
import dev.relay.storage.SuppressionRecords.Added;
import dev.relay.storage.SuppressionRecords.Addition;
import dev.relay.storage.SuppressionRecords.Filter;
import dev.relay.storage.SuppressionRecords.Page;
import dev.relay.storage.SuppressionRecords.Suppression;
import java.time.Clock;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The suppression list as the admin API changes it: every change is applied to this node's RCPT cache at once
 * (other nodes see it within {@code suppression.cache_ttl}). Immutable.
 */
public final class SuppressionService {
    private final PgSuppressions list;
    private final SuppressionCheck check;
    private final Clock clock;

    public SuppressionService(PgSuppressions list, SuppressionCheck check, Clock clock) {
        this.list = Objects.requireNonNull(list, "list");
        this.check = Objects.requireNonNull(check, "check");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    Clock clock() {
        return clock;
    }

    Mono<Added> add(Addition a) {
        return list.add(a).doOnSuccess(added -> check.invalidate(a.address()));
    }

    Mono<Boolean> remove(String scope, String address, String actor) {
        return list.remove(scope, address, actor).doOnSuccess(removed -> check.invalidate(address));
    }

    Flux<Suppression> show(String address) {
        return list.show(address);
    }

    Mono<Page> list(Filter filter) {
        return list.list(filter);
    }

    Flux<Suppression> export(Filter filter) {
        return list.export(filter);
    }
}
