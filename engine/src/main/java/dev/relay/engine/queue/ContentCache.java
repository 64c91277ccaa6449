package dev.relay.engine.queue;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.MessageId;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * Contents of freshly claimed messages, kept for the few hundred milliseconds until their attempts so the hot path
 * does not read back what it has just written; bounded by bytes, anything else comes from the store.
 *
 * <p>Each content counts its message's claimed recipients that no attempt of this node has ended yet, and leaves
 * the cache when that count reaches zero. Without it every delivered message stayed until the byte bound, and once
 * the cache was full Caffeine's admission policy (a new entry must be used more often than the one it would evict)
 * turned most new contents away: under sustained load about a quarter of deliveries read their content back from
 * the database (issue 14, benchmarks/RESULTS.md). Recipients that end without an attempt (an undeliverable domain, a
 * job handed back to the spool) are not counted down; their content leaves at the expiry, as before.
 *
 * <p>Threads: any; Caffeine and the atomic counts carry the state.
 */
final class ContentCache {
    /** A content and how many of its message's claimed recipients have no ended attempt on this node yet. */
    private record Held(byte[] content, AtomicInteger open) {}

    private final Cache<MessageId, Held> cache;
    private final DeliveryStore store;

    ContentCache(DeliveryStore store, long maxBytes, Duration keep) {
        this.store = Objects.requireNonNull(store, "store");
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((MessageId id, Held held) -> held.content().length + 64)
                .expireAfterWrite(keep)
                .executor(Runnable::run)
                .build();
    }

    /** Keeps the content of a message just claimed (all of {@code message}'s recipients still to be attempted). */
    void put(ClaimedMessage message, byte[] content) {
        cache.put(message.id(), new Held(content, new AtomicInteger(message.recipients().size())));
    }

    /**
     * The attempts of {@code recipients} of the message's claimed recipients have ended: once none is left, the
     * content goes (a retry is claimed again and reads it from the store).
     */
    void attempted(MessageId id, int recipients) {
        Held held = cache.getIfPresent(id);
        if (held != null && held.open().addAndGet(-recipients) <= 0) {
            cache.asMap().remove(id, held);
        }
    }

    boolean has(MessageId id) {
        return cache.getIfPresent(id) != null;
    }

    /**
     * Loads the contents of claimed messages in one round trip instead of one per message; best effort (whatever
     * does not fit or fails is read alone when its delivery starts).
     */
    Mono<Void> prefetch(List<ClaimedMessage> messages) {
        if (messages.isEmpty()) {
            return Mono.empty();
        }
        Map<MessageId, ClaimedMessage> byId = new HashMap<>();
        for (ClaimedMessage m : messages) {
            byId.put(m.id(), m);
        }
        return store.contents(List.copyOf(byId.keySet()))
                .doOnNext(c -> {
                    ClaimedMessage m = byId.get(c.id());
                    if (m != null) {
                        put(m, c.content());
                    }
                })
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    /**
     * The content, from memory when it is still there, else from the store (and kept, since the other domains of a
     * message need it too); empty when the message is gone.
     */
    Mono<byte[]> content(ClaimedMessage message) {
        Held held = cache.getIfPresent(message.id());
        return held != null ? Mono.just(held.content())
                : store.content(message.id()).doOnNext(c -> put(message, c));
    }
}
