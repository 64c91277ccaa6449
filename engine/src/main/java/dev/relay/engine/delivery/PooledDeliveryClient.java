package dev.relay.engine.delivery;

import dev.relay.engine.config.HopLimits;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.routing.NextHop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.TrustManagerFactory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * {@link DeliveryClient} over one {@link SitePool} per site. A pool exists only while it has connections or
 * callers, so the map is bounded by activity and idle sites leak nothing.
 *
 * <p>A reused connection carries the next MAIL directly: a connection goes back to the pool only after a transaction
 * that got its final reply or was ended by RSET (RFC 5321 4.1.1.5), so its session is clean, and no RSET is spent
 * on a round trip per message. If the peer closed it while idle, the transaction breaks before its first reply
 * ({@link SmtpTransaction.Stale}; nothing was accepted) and goes again on a new connection in the same slot. A new
 * connection goes to the hops in order (RFC 5321 5.1): a refused or timed-out connect, a non-220 greeting, a
 * refused EHLO/HELO or an unmet TLS requirement moves on to the next hop; when every hop failed, each recipient
 * gets the first failure that carried an SMTP reply (or a local TLS refusal), else ConnectionFailed naming every
 * hop's cause. The TLS policy of a hop is its own when a route set one, else the site's (see {@link #tlsMode}).
 *
 * <p>Nothing here blocks: pool decisions are short critical sections, everything else is a Reactor chain on the
 * connection's event loop. {@link #close()} QUITs idle connections and lets in-use ones finish.
 */
public final class PooledDeliveryClient implements DeliveryClient {
    /** Callers waiting per site when more than {@code connectionLimit} deliver at once; more are deferred. */
    public static final int DEFAULT_MAX_WAITING = 1000;

    private static final Logger log = LoggerFactory.getLogger(PooledDeliveryClient.class);

    private final String heloName;
    private final int maxWaiting;
    private final HopLimits hopLimits;
    private final ClientTls tls;
    private final LoopResources loops;
    private final boolean ownLoops;
    private final Map<String, SitePool> pools = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /** With its own event loops and the JDK trust store; call from a thread that may block (reads the store). */
    public PooledDeliveryClient(String heloName) {
        this(heloName, HopLimits.defaults());
    }

    /** As {@link #PooledDeliveryClient(String)}, with these bounds on what a next hop may cost. */
    public PooledDeliveryClient(String heloName, HopLimits hopLimits) {
        this(heloName, LoopResources.create("relay-delivery"), true, null, DEFAULT_MAX_WAITING, hopLimits);
    }

    /**
     * @param loops event loops to run on; disposed by {@link #close()} only when {@code ownLoops}
     * @param trust trust for hops with {@code verifyCertificate}; null: the JDK's default trust store
     */
    public PooledDeliveryClient(String heloName, LoopResources loops, boolean ownLoops,
                                @Nullable TrustManagerFactory trust, int maxWaitingPerSite) {
        this(heloName, loops, ownLoops, trust, maxWaitingPerSite, HopLimits.defaults());
    }

    /** @param hopLimits reply size and transaction deadline for every next hop */
    public PooledDeliveryClient(String heloName, LoopResources loops, boolean ownLoops,
                                @Nullable TrustManagerFactory trust, int maxWaitingPerSite, HopLimits hopLimits) {
        this.hopLimits = Objects.requireNonNull(hopLimits, "hopLimits");
        this.heloName = Objects.requireNonNull(heloName, "heloName");
        this.loops = Objects.requireNonNull(loops, "loops");
        this.ownLoops = ownLoops;
        this.tls = new ClientTls(trust);
        if (maxWaitingPerSite < 0) {
            throw new IllegalArgumentException("maxWaitingPerSite must be >= 0, was " + maxWaitingPerSite);
        }
        this.maxWaiting = maxWaitingPerSite;
    }

    @Override
    public Mono<AttemptResult> deliver(String site, List<NextHop> hops, SiteLimits limits, SitePacing pacing,
                                       Envelope envelope) {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(pacing, "pacing");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(envelope, "envelope");
        List<NextHop> route = List.copyOf(hops);
        if (route.isEmpty()) {
            throw new IllegalArgumentException("deliver needs at least one hop");
        }
        return Mono.defer(() -> attempt(site, route, limits, pacing, envelope));
    }

    private Mono<AttemptResult> attempt(String site, List<NextHop> route, SiteLimits limits, SitePacing pacing,
                                        Envelope envelope) {
        if (closed) {
            return Mono.just(all(envelope, ReplyClassifier.local(null, ReplyClassifier.CLIENT_CLOSED)));
        }
        SitePool pool = pools.computeIfAbsent(site, s -> new SitePool(s, maxWaiting, retired -> pools.remove(s, retired)));
        return pool.acquire(limits, pacing)
                .flatMap(slot -> use(pool, slot, route, limits, pacing, envelope))
                // empty: the pool was retired between the map lookup and acquire; the map has a new one by now
                .switchIfEmpty(Mono.defer(() -> attempt(site, route, limits, pacing, envelope)))
                .onErrorResume(SitePool.PoolFullException.class, e -> Mono.just(all(envelope,
                        ReplyClassifier.local(null, closed ? ReplyClassifier.CLIENT_CLOSED : ReplyClassifier.POOL_FULL))));
    }

    private Mono<AttemptResult> use(SitePool pool, SitePool.Slot slot, List<NextHop> hops, SiteLimits limits,
                                    SitePacing pacing, Envelope envelope) {
        // exactly one release per slot, whichever way the delivery ends (result, all hops failed, cancellation)
        AtomicBoolean released = new AtomicBoolean();
        AtomicReference<SmtpClientConnection> current = new AtomicReference<>(slot.reuse());
        SmtpClientConnection reused = slot.reuse();
        Mono<AttemptResult> sent = reused == null
                ? openAny(pool, hops, limits, pacing).flatMap(c -> send(pool, c, false, current, released, limits,
                        envelope))
                : send(pool, reused, true, current, released, limits, envelope)
                        .onErrorResume(SmtpTransaction.Stale.class, stale -> openAny(pool, hops, limits, pacing)
                                .flatMap(c -> send(pool, c, false, current, released, limits, envelope)));
        return sent
                .onErrorResume(HopsFailed.class, e -> {
                    if (released.compareAndSet(false, true)) {
                        pool.release(null, limits, false);
                    }
                    return Mono.just(all(envelope, e.outcome));
                })
                .doOnCancel(() -> {
                    if (released.compareAndSet(false, true)) {
                        SmtpClientConnection c = current.get();
                        if (c != null) {
                            c.close();
                        }
                        pool.release(c, limits, false);
                    }
                });
    }

    /** One transaction on {@code c}; the slot goes back with the connection once the result is in. */
    private static Mono<AttemptResult> send(SitePool pool, SmtpClientConnection c, boolean reused,
                                            AtomicReference<SmtpClientConnection> current, AtomicBoolean released,
                                            SiteLimits limits, Envelope envelope) {
        current.set(c);
        return c.send(envelope, reused).doOnNext(result -> {
            if (released.compareAndSet(false, true)) {
                pool.release(c, limits, true);
            }
        });
    }

    /** Opens a connection to the first hop that completes the handshake; errors only with {@link HopsFailed}. */
    private Mono<SmtpClientConnection> openAny(SitePool pool, List<NextHop> hops, SiteLimits limits,
                                               SitePacing pacing) {
        return openFrom(hops, 0, limits, pacing, new ArrayList<>())
                .doOnNext(c -> c.onClose(() -> pool.expire(c)));
    }

    private Mono<SmtpClientConnection> openFrom(List<NextHop> hops, int index, SiteLimits limits,
                                                SitePacing pacing, List<DeliveryOutcome> failures) {
        if (index == hops.size()) {
            return Mono.error(new HopsFailed(summarise(failures)));
        }
        NextHop hop = hops.get(index);
        TlsMode mode = tlsMode(hop, limits);
        return SmtpClientConnection.open(hop, mode, limits, heloName, tls, loops, pacing, hopLimits)
                .onErrorResume(HopFailure.class, f -> f.retryWithoutTls()
                        ? SmtpClientConnection.open(hop, TlsMode.DISABLED, limits, heloName, tls, loops, pacing,
                                hopLimits)
                        : Mono.error(f))
                .onErrorResume(HopFailure.class, f -> {
                    log.info("delivery: hop {} ({}) failed: {}", hop.hostname(), hop.address(), f.outcome());
                    failures.add(f.outcome());
                    return openFrom(hops, index + 1, limits, pacing, failures);
                });
    }

    /**
     * A route's explicit policy (REQUIRED or DISABLED on the hop) wins; an opportunistic hop, the default for MX
     * hosts, follows the site's shaping policy.
     */
    static TlsMode tlsMode(NextHop hop, SiteLimits limits) {
        return hop.tls() != TlsMode.OPPORTUNISTIC ? hop.tls() : limits.tls();
    }

    static DeliveryOutcome summarise(List<DeliveryOutcome> failures) {
        for (DeliveryOutcome failure : failures) {
            if (!(failure instanceof DeliveryOutcome.ConnectionFailed)) {
                return failure;
            }
        }
        StringBuilder causes = new StringBuilder();
        String first = null;
        for (DeliveryOutcome failure : failures) {
            DeliveryOutcome.ConnectionFailed c = (DeliveryOutcome.ConnectionFailed) failure;
            first = first == null ? c.remoteHost() : first;
            causes.append(causes.length() == 0 ? "" : "; ").append(c.remoteHost()).append(": ").append(c.cause());
        }
        return new DeliveryOutcome.ConnectionFailed(first, causes.toString());
    }

    private static AttemptResult all(Envelope envelope, DeliveryOutcome outcome) {
        return new AttemptResult(Collections.nCopies(envelope.recipients().size(), outcome));
    }

    /** Counts for one site; {@link SiteCounts#EMPTY} when it has no pool. */
    public SiteCounts counts(String site) {
        SitePool pool = pools.get(site);
        return pool == null ? SiteCounts.EMPTY : pool.counts();
    }

    /** Counts for every site with a pool, by site name. */
    public Map<String, SiteCounts> counts() {
        Map<String, SiteCounts> all = new TreeMap<>();
        pools.forEach((site, pool) -> all.put(site, pool.counts()));
        return all;
    }

    /** QUITs idle connections, then (when owned) releases the event loops; completes when done. */
    public Mono<Void> closeGracefully() {
        closed = true;
        List<Mono<Void>> quits = new ArrayList<>();
        pools.values().forEach(pool -> quits.addAll(pool.close()));
        pools.clear();
        Mono<Void> done = Mono.when(quits).timeout(Duration.ofSeconds(15)).onErrorResume(e -> Mono.empty());
        return ownLoops ? done.then(loops.disposeLater()) : done;
    }

    @Override
    public void close() {
        closeGracefully().subscribe();
    }

    private static final class HopsFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient DeliveryOutcome outcome;

        HopsFailed(DeliveryOutcome outcome) {
            super("all hops failed", null, false, false);
            this.outcome = outcome;
        }
    }
}
