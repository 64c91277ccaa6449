package dev.relay.engine.dkim;

import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.protocol.dkim.DkimRecord;
import dev.relay.storage.DkimKeyRecord;
import dev.relay.storage.PgDkimKeys;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * What {@code relay system dkim} and its admin API do: generate a key (sealed when {@code dkim.key_file} is set) and
 * say which TXT record to publish, list a domain's keys with their records, retire a key at a time. After a change
 * this node re-reads its keys at once; the others within {@code dkim.refresh_interval}. Immutable, thread-safe.
 */
public final class DkimService {

    /** How long a retired key's record stays published by default: past the retry window (5 days), with margin. */
    public static final Duration DEFAULT_PUBLISHED_AFTER_RETIRE = Duration.ofDays(7);

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)+");
    private static final Pattern SELECTOR = Pattern.compile("[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?");
    private static final DateTimeFormatter MONTH = DateTimeFormatter.ofPattern("yyyyMM", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    /** A key and the DNS record that publishes it. */
    public record Key(DkimKeyRecord record, DkimRecord dns) {
    }

    private final PgDkimKeys keys;
    private final @Nullable KeySealer sealer;
    private final Clock clock;
    private final Supplier<Mono<Integer>> refresh;

    public DkimService(PgDkimKeys keys, @Nullable KeySealer sealer, Clock clock, Supplier<Mono<Integer>> refresh) {
        this.keys = keys;
        this.sealer = sealer;
        this.clock = clock;
        this.refresh = refresh;
    }

    /** Whether private keys are sealed at rest (dkim.key_file set). */
    public boolean sealed() {
        return sealer != null;
    }

    /**
     * New keys for {@code domain}, one per algorithm, active from {@code activeFrom} (null: now). With one algorithm
     * the selector is {@code selector}; with two it gets {@code -ed25519} / {@code -rsa} appended, as one DNS name
     * holds one key. Default selector: {@code s} and the year and month of {@code activeFrom}.
     *
     * @throws IllegalArgumentException for a bad domain, selector or an existing selector (reported as the error)
     */
    public Flux<Key> generate(String domain, @Nullable String selector, List<DkimAlgorithm> algorithms,
            @Nullable Instant activeFrom) {
        String d = checkDomain(domain);
        Instant from = activeFrom == null ? clock.instant() : activeFrom;
        String base = selector == null ? "s" + MONTH.format(from) : checkSelector(selector);
        if (algorithms.isEmpty()) {
            throw new IllegalArgumentException("no algorithm");
        }
        List<String> selectors = new ArrayList<>();
        for (DkimAlgorithm algorithm : algorithms) {
            selectors.add(algorithms.size() == 1 ? base : checkSelector(base + "-" + algorithm.keyType()));
        }
        // key generation (RSA: tens of milliseconds, and SecureRandom may read the OS entropy source): not on the
        // HTTP event loop nor a parallel thread
        return Flux.range(0, algorithms.size())
                .concatMap(i -> Mono.fromCallable(() -> create(d, selectors.get(i), algorithms.get(i), from))
                        .subscribeOn(Schedulers.boundedElastic())
                        .flatMap(record -> keys.add(record).switchIfEmpty(Mono.error(new IllegalArgumentException(
                                d + " already has a key with selector " + selectors.get(i))))))
                .map(DkimService::key)
                .concatWith(refresh.get().then(Mono.empty()));
    }

    /** Every key of {@code domain}, retired ones too. */
    public Flux<Key> list(String domain) {
        return keys.list(checkDomain(domain)).map(DkimService::key);
    }

    /**
     * Stops {@code selector} signing at {@code at} (null: now); its record should stay published until
     * {@code publishedUntil} (null: {@link #DEFAULT_PUBLISHED_AFTER_RETIRE} after {@code at}). Empty: no such key.
     */
    public Mono<Key> retire(String domain, String selector, @Nullable Instant at, @Nullable Instant publishedUntil) {
        Instant when = at == null ? clock.instant() : at;
        Instant published = publishedUntil == null ? when.plus(DEFAULT_PUBLISHED_AFTER_RETIRE) : publishedUntil;
        return keys.retire(checkDomain(domain), checkSelector(selector), when, published)
                .map(DkimService::key)
                .flatMap(k -> refresh.get().thenReturn(k));
    }

    private DkimKeyRecord create(String domain, String selector, DkimAlgorithm algorithm, Instant from)
            throws GeneralSecurityException {
        KeyPair pair = DkimProviders.generate(algorithm);
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        byte[] stored = sealer == null ? pkcs8 : sealer.seal(pkcs8, domain, selector);
        return new DkimKeyRecord(domain, selector, algorithm.tag(), stored, sealer != null,
                pair.getPublic().getEncoded(), from, null, null, from);
    }

    private static Key key(DkimKeyRecord record) {
        DkimAlgorithm algorithm = DkimAlgorithm.byName(record.algorithm())
                .orElseThrow(() -> new IllegalStateException("unknown algorithm " + record.algorithm()));
        try {
            PublicKey publicKey = KeyFactory.getInstance(algorithm.jcaKey())
                    .generatePublic(new X509EncodedKeySpec(record.publicKey()));
            return new Key(record, DkimRecord.of(record.domain(), record.selector(), algorithm, publicKey));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("stored public key of " + record + " is not valid: " + e, e);
        }
    }

    static String checkDomain(String domain) {
        String d = domain.strip().toLowerCase(Locale.ROOT);
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (!DOMAIN.matcher(d).matches()) {
            throw new IllegalArgumentException("not a domain name: '" + bounded(domain) + "'");
        }
        return d;
    }

    static String checkSelector(String selector) {
        String s = selector.strip().toLowerCase(Locale.ROOT);
        if (!SELECTOR.matcher(s).matches()) {
            throw new IllegalArgumentException("a selector is one DNS label (letters, digits, '-', '_'; at most 63),"
                    + " not '" + bounded(selector) + "'");
        }
        return s;
    }

    private static String bounded(String text) {
        String t = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
