package dev.relay.engine.dkim;

import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.protocol.dkim.DkimSigningKey;
import dev.relay.storage.DkimKeyRecord;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The DKIM keys of every domain as an immutable in-memory snapshot, replaced by a refresh every
 * {@code dkim.refresh_interval}, so signing reads memory and never waits on the database; a failed refresh keeps
 * the previous snapshot (and logs), so a database outage does not stop signing. Keys are opened (unsealed and
 * imported into the signing provider) once and reused by later snapshots while their row is unchanged.
 *
 * <p>The snapshot reference is the mutable state: written by the refresh (one at a time: the first at start, then
 * the timer's on the given scheduler), read by any signing thread; {@code unusable} only keeps log lines apart.
 */
public final class DkimKeyring implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DkimKeyring.class);

    /** One opened key and the row it came from. */
    record Entry(DkimKeyRecord record, DkimSigningKey key) {
    }

    private final Supplier<Flux<DkimKeyRecord>> source;
    private final @Nullable KeySealer sealer;
    private final DkimProviders providers;
    /** Replaced whole by a refresh; read without a lock by signing threads. */
    private volatile Map<String, List<Entry>> snapshot = Map.of();
    /** Keys already reported as unusable, so each is logged once, not every refresh. */
    private final Map<String, Boolean> unusable = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile @Nullable Disposable timer;

    /**
     * @param source  the keys not retired yet ({@code PgDkimKeys::current})
     * @param sealer  opens sealed keys; null when {@code dkim.key_file} is not set (sealed keys are then skipped)
     */
    public DkimKeyring(Supplier<Flux<DkimKeyRecord>> source, @Nullable KeySealer sealer, DkimProviders providers) {
        this.source = source;
        this.sealer = sealer;
        this.providers = providers;
    }

    /** Reads the keys once now; the Mono completes when the snapshot is in place. */
    public Mono<Integer> refresh() {
        // opening a changed key (AES-GCM, key import) is CPU work: off the database driver's event loop
        return Mono.defer(() -> source.get().collectList()).publishOn(Schedulers.parallel()).map(records -> {
            Map<String, List<Entry>> next = open(records, snapshot);
            snapshot = next;
            return next.values().stream().mapToInt(List::size).sum();
        });
    }

    /** Refreshes every {@code interval} on {@code scheduler} until closed. */
    public DkimKeyring start(Duration interval, Scheduler scheduler) {
        timer = Flux.interval(interval, interval, scheduler)
                .concatMap(tick -> refresh().onErrorResume(e -> {
                    log.warn("DKIM keys not refreshed, signing with the previous ones: {}", e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
        return this;
    }

    /** Whether the last refresh found no usable key at all (for any domain, active or not). */
    public boolean isEmpty() {
        return snapshot.isEmpty();
    }

    /**
     * The keys that sign for {@code domain} at {@code now}: per algorithm the active key that became active last, so
     * a new selector takes over at its {@code active_from} while the old one stays published. Ed25519 first.
     */
    public List<DkimSigningKey> signing(String domain, Instant now) {
        List<Entry> entries = snapshot.get(domain.toLowerCase(Locale.ROOT));
        if (entries == null) {
            return List.of();
        }
        Map<DkimAlgorithm, Entry> newest = new EnumMap<>(DkimAlgorithm.class);
        for (Entry entry : entries) {
            if (entry.record().activeAt(now)) {
                newest.merge(entry.key().algorithm(), entry,
                        (a, b) -> b.record().activeFrom().isAfter(a.record().activeFrom()) ? b : a);
            }
        }
        List<DkimSigningKey> keys = new ArrayList<>(newest.size());
        for (Entry entry : newest.values()) {
            keys.add(entry.key());
        }
        return List.copyOf(keys);
    }

    private Map<String, List<Entry>> open(List<DkimKeyRecord> records, Map<String, List<Entry>> previous) {
        Map<String, Entry> known = new HashMap<>();
        previous.values().forEach(list -> list.forEach(e -> known.put(id(e.record()), e)));
        Map<String, List<Entry>> next = new HashMap<>();
        for (DkimKeyRecord record : records) {
            Entry old = known.get(id(record));
            Entry entry = old != null && Arrays.equals(old.record().privateKey(), record.privateKey())
                    ? new Entry(record, old.key()) : open(record);
            if (entry != null) {
                next.computeIfAbsent(record.domain(), d -> new ArrayList<>()).add(entry);
            }
        }
        next.replaceAll((d, list) -> List.copyOf(list));
        return Map.copyOf(next);
    }

    private @Nullable Entry open(DkimKeyRecord record) {
        var algorithm = DkimAlgorithm.byName(record.algorithm()).orElse(null);
        if (algorithm == null) {
            log.debug("DKIM key {}: unknown algorithm {}, not used", record, record.algorithm());
            return null;
        }
        try {
            byte[] pkcs8 = record.privateKey();
            boolean opened = false;
            if (record.encrypted()) {
                if (sealer == null) {
                    if (unusable.put(id(record), Boolean.TRUE) == null) {
                        log.warn("DKIM key {} is sealed but dkim.key_file is not set: not used", record);
                    }
                    return null;
                }
                pkcs8 = sealer.open(pkcs8, record.domain(), record.selector());
                opened = true;
            }
            DkimSigningKey key = new DkimSigningKey(record.domain(), record.selector(), algorithm,
                    providers.privateKey(algorithm, pkcs8), providers.provider(algorithm));
            if (opened) {
                Arrays.fill(pkcs8, (byte) 0);
            }
            unusable.remove(id(record));
            return new Entry(record, key);
        } catch (GeneralSecurityException | RuntimeException e) {
            // e.g. sealed under another dkim.key_file: said once per key, never the key itself
            if (unusable.put(id(record), Boolean.TRUE) == null) {
                log.warn("DKIM key {} cannot be opened ({}): not used", record, e.getClass().getSimpleName());
            }
            return null;
        }
    }

    private static String id(DkimKeyRecord record) {
        return record.domain() + "/" + record.selector();
    }

    @Override
    public void close() {
        Disposable t = timer;
        if (t != null) {
            t.dispose();
        }
    }
}
