package dev.relay.engine.queue;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.relay.storage.DeliveryStore;
import dev.relay.storage.MessageId;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Contents of freshly accepted messages, kept for the few hundred milliseconds until their first delivery so the
 * hot path does not read back what it has just written; bounded by bytes, anything else comes from the store.
 */
final class ContentCache {
    private final Cache<MessageId, byte[]> cache;
    private final DeliveryStore store;

    ContentCache(DeliveryStore store, long maxBytes, Duration keep) {
        this.store = Objects.requireNonNull(store, "store");
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((MessageId id, byte[] content) -> content.length + 64)
                .expireAfterWrite(keep)
                .executor(Runnable::run)
                .build();
    }

    void put(MessageId id, byte[] content) {
        cache.put(id, content);
    }

    /**
     * Drops a content no attempt of this node needs any more. Without it every delivered message stayed until the
     * byte bound, and once the cache was full Caffeine's admission policy (a new entry must be used more often than
     * the one it would evict) turned most new contents away: under sustained load about a quarter of deliveries read
     * their content back from the database (issue 14, benchmarks/RESULTS.md).
     */
    void forget(MessageId id) {
        cache.invalidate(id);
    }

    boolean has(MessageId id) {
        return cache.getIfPresent(id) != null;
    }

    /**
     * Loads the contents of claimed messages in one round trip instead of one per message; best effort (whatever
     * does not fit or fails is read alone when its delivery starts).
     */
    Mono<Void> prefetch(List<MessageId> ids) {
        return ids.isEmpty() ? Mono.empty() : store.contents(ids)
                .doOnNext(c -> cache.put(c.id(), c.content()))
                .onErrorResume(e -> Mono.empty())
                .then();
    }

    /**
     * The content, from memory when it is still there, else from the store (and kept, since the other domains of a
     * message need it too); empty when the message is gone.
     */
    Mono<byte[]> content(MessageId id) {
        byte[] cached = cache.getIfPresent(id);
        return cached != null ? Mono.just(cached) : store.content(id).doOnNext(c -> cache.put(id, c));
    }
}
