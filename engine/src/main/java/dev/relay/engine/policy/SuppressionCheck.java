package dev.relay.engine.policy;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.relay.engine.config.SuppressionConfig;
import dev.relay.storage.MessageId;
import dev.relay.storage.SuppressionRecords;
import dev.relay.storage.SuppressionRecords.Reason;
import dev.relay.storage.SuppressionRecords.Suppression;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Whether a recipient is suppressed for a sender, as the SMTP door asks at every RCPT: a bounded Caffeine cache of
 * the database's answers (suppressed or not) for {@code suppression.cache_ttl}, so the common case is answered on
 * the event loop without waiting, and a miss costs one indexed query, shared by concurrent askers. A change made
 * through this node is applied at once ({@link #invalidate}); one made on another node within the TTL. A failed
 * lookup is not cached: the next RCPT asks again. Thread-safe (the cache, the filter and the counters are).
 *
 * <p>In front of the cache, an optional {@link SuppressionFilter} of every listed address: while it is loaded and
 * fresh, a recipient it does not hold is clear at once, with neither a query nor a cache entry (transactional mail
 * has mostly recipients never seen before, each of which cost a query). Anything else goes the way described above.
 */
public final class SuppressionCheck {
    /**
     * Never suppresses and never waits (nor caches: it holds no state): for listeners and tests without a
     * suppression list.
     */
    public static final SuppressionCheck NONE = new SuppressionCheck();

    /** What the list says of one recipient for one sender. */
    public sealed interface Verdict {
        /** May be mailed. */
        record Clear() implements Verdict {}

        /** Suppressed, by the entry of {@code scope} ({@code *}: every sender), for {@code reason} since then. */
        record Suppressed(String scope, Reason reason, Instant since) implements Verdict {}
    }

    private static final Verdict CLEAR = new Verdict.Clear();

    /**
     * Records recipients accepted although suppressed ({@code accept_and_record}): {@code PgSuppressions::
     * recordSuppressed}. Completes after COMMIT.
     */
    @FunctionalInterface
    public interface Recorder {
        Mono<Void> record(SuppressedRecipients recipients);
    }

    /**
     * Recipients of one message accepted while suppressed, for {@code sender} (the AUTH user, '' for none), each
     * with the text of its event; {@code withAccepted}: nothing of the message was stored, so this also writes its
     * accepted event.
     */
    public record SuppressedRecipients(MessageId message, String sender, List<String> addresses,
                                       List<String> replies, boolean withAccepted, @Nullable String clientMessageId) {
        public SuppressedRecipients {
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(sender, "sender");
            addresses = List.copyOf(addresses);
            replies = List.copyOf(replies);
            if (addresses.isEmpty() || addresses.size() != replies.size()) {
                throw new IllegalArgumentException("one reply per address, at least one address");
            }
        }
    }

    private static final Recorder NO_RECORDER = r -> Mono.error(new IllegalStateException(
            "no suppression recorder: accept_and_record needs the database"));

    private final BiFunction<String, String, Mono<Suppression>> lookup;
    private final Duration timeout;
    private final @Nullable AsyncCache<Key, Verdict> cache;
    private final boolean acceptSuppressed;
    private final Recorder recorder;
    private final @Nullable SuppressionFilter filter;
    private final LongAdder filterClear = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder queries = new LongAdder();

    private record Key(String scope, String address) {}

    /** @param lookup the entry in force for (scope, address), empty when none: {@code PgSuppressions::lookup} */
    public SuppressionCheck(BiFunction<String, String, Mono<Suppression>> lookup, SuppressionConfig config,
                            Ticker ticker) {
        this(lookup, NO_RECORDER, config, ticker);
    }

    /** @param recorder writes the recipients accepted although suppressed ({@code accept_and_record}) */
    public SuppressionCheck(BiFunction<String, String, Mono<Suppression>> lookup, Recorder recorder,
                            SuppressionConfig config, Ticker ticker) {
        this(lookup, recorder, config, ticker, null);
    }

    /**
     * @param filter answers "certainly not listed" without the cache or the database while loaded and fresh; null:
     *               every address goes to the cache and the database
     */
    public SuppressionCheck(BiFunction<String, String, Mono<Suppression>> lookup, Recorder recorder,
                            SuppressionConfig config, Ticker ticker, @Nullable SuppressionFilter filter) {
        this.filter = filter;
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.acceptSuppressed = config.mode() == SuppressionConfig.Mode.ACCEPT_AND_RECORD;
        this.timeout = config.lookupTimeout();
        this.cache = Caffeine.newBuilder()
                .maximumSize(config.cacheSize())
                .expireAfterWrite(config.cacheTtl())
                .ticker(ticker)
                .buildAsync();
    }

    private SuppressionCheck() {
        this.lookup = (scope, address) -> Mono.empty();
        this.timeout = SuppressionConfig.DEFAULT_LOOKUP_TIMEOUT;
        this.cache = null;
        this.acceptSuppressed = false;
        this.recorder = NO_RECORDER;
        this.filter = null;
    }

    /**
     * {@code suppression.mode: accept_and_record}: a suppressed RCPT gets 250 and its recipient is
     * {@link #record recorded} instead of queued; otherwise it is refused.
     */
    public boolean acceptsSuppressed() {
        return acceptSuppressed;
    }

    /** Writes recipients accepted although suppressed; completes after COMMIT. */
    public Mono<Void> record(SuppressedRecipients recipients) {
        return recorder.record(recipients);
    }

    /**
     * The cached verdict for {@code address} sent by {@code scope}, or null when the cache does not know it yet (or
     * its lookup is still running): then ask {@link #check}. Never waits.
     */
    public @Nullable Verdict cached(String scope, String address) {
        Key key = key(scope, address);
        AsyncCache<Key, Verdict> c = cache;
        if (key == null || c == null) {
            return CLEAR;
        }
        if (filterSaysClear(key)) {
            return CLEAR;
        }
        CompletableFuture<Verdict> f = c.getIfPresent(key);
        if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
            return null;
        }
        cacheHits.increment();
        return f.getNow(null);
    }

    /** The verdict, from the cache or the database; fails when the database does not answer within the timeout. */
    public Mono<Verdict> check(String scope, String address) {
        Key key = key(scope, address);
        AsyncCache<Key, Verdict> c = cache;
        if (key == null || c == null) {
            return Mono.just(CLEAR);
        }
        if (filterSaysClear(key)) {
            return Mono.just(CLEAR);
        }
        // suppressCancel: a session that goes away must not cancel a lookup other sessions share
        return Mono.fromFuture(() -> c.get(key, (k, executor) -> Mono.defer(() -> {
                    queries.increment();
                    return lookup.apply(k.scope(), k.address());
                })
                .<Verdict>map(s -> new Verdict.Suppressed(s.scope(), s.reason(), s.createdAt()))
                .defaultIfEmpty(CLEAR)
                .timeout(timeout)
                .toFuture()), true);
    }

    /**
     * Forgets what is cached about {@code address} for every sender: a change to a global entry concerns them all,
     * and one scan of a bounded cache per admin change is cheap. Adds it to the filter: an address listed (or
     * unlisted: a false positive until the next rebuild) through this node is never "certainly not" here.
     */
    public void invalidate(String address) {
        String a = address.toLowerCase(Locale.ROOT);
        SuppressionFilter f = filter;
        if (f != null) {
            // before the cache: from here on this address is never "certainly not listed" on this node
            f.add(a);
        }
        AsyncCache<Key, Verdict> c = cache;
        if (c == null) {
            return;
        }
        c.synchronous().asMap().keySet().removeIf(k -> k.address().equals(a));
    }

    private boolean filterSaysClear(Key key) {
        SuppressionFilter f = filter;
        if (f != null && f.certainlyAbsent(key.address())) {
            filterClear.increment();
            return true;
        }
        return false;
    }

    /** RCPTs answered clear by the filter, without the cache or the database. */
    public long filterClears() {
        return filterClear.sum();
    }

    /** RCPTs answered from the cache without waiting ({@link #cached} hits). */
    public long cacheHits() {
        return cacheHits.sum();
    }

    /** Lookups sent to the database (cache misses; concurrent askers of one key share one). */
    public long queries() {
        return queries.sum();
    }

    /** The filter in front of the cache, if any. */
    public @Nullable SuppressionFilter filter() {
        return filter;
    }

    /**
     * The cache key; null for an address the list cannot hold (over-long, a quoted local part with a space): it is
     * never suppressed, so it needs no lookup.
     */
    private static @Nullable Key key(String scope, String address) {
        String a;
        try {
            a = SuppressionRecords.checkAddress(address);
        } catch (IllegalArgumentException e) {
            return null;
        }
        try {
            return new Key(SuppressionRecords.checkScope(scope), a);
        } catch (IllegalArgumentException e) {
            return new Key(SuppressionRecords.GLOBAL, a); // a sender the list cannot name: global entries still apply
        }
    }
}
