package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.MessageId;
import dev.relay.storage.RecipientUpdate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** An in-memory store that records what the scheduler asks of it; failures are queued up by the test. */
final class FakeDeliveryStore implements DeliveryStore {
    /** One claim query: how many recipients it asked for and which sites it passed over. */
    record Claim(int limit, Set<String> skipSites) {}

    record Unclaim(MessageId message, List<Integer> indexes, String site) {}

    final Deque<ClaimedMessage> due = new ArrayDeque<>();
    final List<Claim> claims = new CopyOnWriteArrayList<>();
    /** When set, claim queries stay open until the test completes them. */
    boolean holdClaims;
    final Deque<Throwable> claimFailures = new ArrayDeque<>();
    final Deque<Throwable> heartbeatFailures = new ArrayDeque<>();
    /** The database's gap since the previous heartbeat, as the next heartbeat reports it. */
    @org.jspecify.annotations.Nullable Duration sincePrevious;
    final List<reactor.core.publisher.Sinks.Empty<Void>> openClaims = new CopyOnWriteArrayList<>();
    final List<List<RecipientUpdate>> recorded = new CopyOnWriteArrayList<>();
    final Deque<Throwable> recordFailures = new ArrayDeque<>();
    /** The updates of every record call, in the order of the calls (failed and held ones too). */
    final List<List<RecipientUpdate>> requested = new CopyOnWriteArrayList<>();
    int recordCalls;
    /** When set, record calls stay open until the test completes them ({@link #openRecords}). */
    boolean holdRecords;
    final List<reactor.core.publisher.Sinks.Empty<Void>> openRecords = new CopyOnWriteArrayList<>();
    final List<Unclaim> unclaims = new CopyOnWriteArrayList<>();
    final Deque<Throwable> unclaimFailures = new ArrayDeque<>();
    int releaseClaimsCalls;
    int liveNodes = 1;
    Map<String, Long> takenOver = Map.of();
    final Map<MessageId, byte[]> contents = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public Mono<Long> releaseClaims(String node) {
        return Mono.fromSupplier(() -> {
            releaseClaimsCalls++;
            return 0L;
        });
    }

    @Override
    public Mono<Heartbeat> heartbeat(String node, Duration staleAfter) {
        return Mono.defer(() -> {
            Throwable failure = heartbeatFailures.poll();
            return failure != null ? Mono.error(failure) : Mono.just(new Heartbeat(sincePrevious, takenOver));
        });
    }

    @Override
    public Mono<Integer> liveNodes(Duration staleAfter) {
        return Mono.fromSupplier(() -> liveNodes);
    }

    @Override
    public Flux<ClaimedMessage> claimDue(String node, int limit, Set<String> skipSites) {
        return Flux.defer(() -> {
            claims.add(new Claim(limit, Set.copyOf(skipSites)));
            Throwable failure = claimFailures.poll();
            if (failure != null) {
                return Flux.error(failure);
            }
            List<ClaimedMessage> out = new ArrayList<>();
            int n = 0;
            while (!due.isEmpty() && n + due.peek().recipients().size() <= limit) {
                ClaimedMessage m = due.poll();
                n += m.recipients().size();
                out.add(m);
            }
            if (!holdClaims) {
                return Flux.fromIterable(out);
            }
            reactor.core.publisher.Sinks.Empty<Void> open = reactor.core.publisher.Sinks.empty();
            openClaims.add(open);
            return open.asMono().thenMany(Flux.fromIterable(out));
        });
    }

    @Override
    public Mono<Long> unclaim(String node, MessageId message, List<Integer> indexes, String site) {
        return Mono.defer(() -> {
            unclaims.add(new Unclaim(message, indexes, site));
            Throwable failure = unclaimFailures.poll();
            return failure != null ? Mono.error(failure) : Mono.just((long) indexes.size());
        });
    }

    @Override
    public Mono<byte[]> content(MessageId id) {
        return Mono.justOrEmpty(contents.get(id));
    }

    @Override
    public Flux<StoredContent> contents(List<MessageId> ids) {
        return Flux.fromIterable(ids).filter(contents::containsKey)
                .map(id -> new StoredContent(id, contents.get(id)));
    }

    @Override
    public Mono<Void> record(List<RecipientUpdate> updates) {
        return record("n", updates);
    }

    @Override
    public Mono<Void> record(String node, List<RecipientUpdate> updates) {
        return Mono.defer(() -> {
            recordCalls++;
            requested.add(List.copyOf(updates));
            Throwable failure = recordFailures.poll();
            if (failure != null) {
                return Mono.error(failure);
            }
            List<RecipientUpdate> rows = Collections.unmodifiableList(new ArrayList<>(updates));
            if (!holdRecords) {
                recorded.add(rows);
                return Mono.empty();
            }
            reactor.core.publisher.Sinks.Empty<Void> open = reactor.core.publisher.Sinks.empty();
            openRecords.add(open);
            return open.asMono().doOnSuccess(v -> recorded.add(rows));
        });
    }

    /** Every row recorded so far, in order. */
    List<RecipientUpdate> rows() {
        return recorded.stream().flatMap(List::stream).toList();
    }
}
