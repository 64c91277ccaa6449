package dev.relay.engine.shaping;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.delivery.SitePacing;
import dev.relay.protocol.SmtpReply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * The run-time shaping state of one site: what reply rules did to it (each for its duration, then restored), an
 * operator's suspension, tarpit detection, and token buckets for its message and connection rates. The scheduler
 * asks {@link #admit} before each delivery; the delivery client asks {@link #tryOpen} before each new connection and
 * reports reply latencies. Times are nanoseconds from the given clock; every method is a short critical section.
 *
 * <p>Limits are divided among the live nodes sharing the database (floor 1): {@code nodes} is passed in.
 *
 * <p>Tarpitting: a reply slower than the site's {@code tarpit_threshold} halves its concurrency (at least 1), at most
 * once per threshold period, so one slow burst seen on many connections cuts once; a fast reply after a
 * {@code tarpit_recovery} period without slow ones gives one connection back, until the configured limit is reached.
 */
public final class SiteThrottle implements SitePacing {
    /** What the scheduler may do for the next job of the site. */
    public sealed interface Admission {
        /** Start it with these limits (the connection limit is the effective one). */
        record Go(SiteLimits limits) implements Admission {
        }

        /** The site has its effective number of deliveries running: wait for one to finish. */
        record Full() implements Admission {
        }

        /** Suspended or out of message-rate tokens: try again at {@code untilNanos}. */
        record Wait(long untilNanos, boolean suspended) implements Admission {
        }
    }

    /** A rule that matched a reply: {@code reply} as matched. */
    public record Hit(ShapingRule rule, String reply) {
    }

    /** The site now, for the admin API and metrics. */
    public record State(@Nullable Instant suspendedUntil, @Nullable String suspendedBecause, int connectionLimit,
                        @Nullable Rate messageRate, @Nullable Rate connectionRate, List<String> activeRules,
                        boolean tarpitted) {
        public State {
            activeRules = List.copyOf(activeRules);
        }
    }

    private record Effect(ShapingRule rule, long untilNanos) {
    }

    private final LongSupplier clock;
    private final Map<String, Effect> effects = new LinkedHashMap<>();
    private final TokenBucket messages = new TokenBucket();
    private final TokenBucket connections = new TokenBucket();
    private volatile SiteShaping shaping;
    private volatile int nodes = 1;
    private long manualUntil = Long.MIN_VALUE;
    private @Nullable String manualReason;
    private int tarpitLimit = Integer.MAX_VALUE;
    private long lastSlow;
    private long lastStep;
    private final Consumer<String> onWait;

    /** {@code onWait} is told "message" or "connection" each time a rate makes a delivery or connection wait. */
    public SiteThrottle(SiteShaping initial, LongSupplier nanoClock, Consumer<String> onWait) {
        this.shaping = Objects.requireNonNull(initial, "initial");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.onWait = Objects.requireNonNull(onWait, "onWait");
        long now = clock.getAsLong();
        this.lastSlow = now;
        this.lastStep = now;
    }

    /**
     * May a delivery under {@code current} (the shaping resolved for the next job) start while {@code active}
     * run? On Go, a message-rate token has been taken.
     */
    public synchronized Admission admit(SiteShaping current, int active, int liveNodes) {
        shaping = current;
        nodes = Math.max(1, liveNodes);
        long now = clock.getAsLong();
        expire(now);
        long suspendedUntil = suspendedUntil();
        if (suspendedUntil != Long.MIN_VALUE) {
            return new Admission.Wait(suspendedUntil, true);
        }
        int limit = connectionLimit();
        if (active >= limit) {
            return new Admission.Full();
        }
        Rate rate = messageRate();
        if (rate != null) {
            long wait = messages.take(rate, now);
            if (wait > 0) {
                onWait.accept("message");
                return new Admission.Wait(now + wait, false);
            }
        }
        return new Admission.Go(current.limits().withConnectionLimit(limit));
    }

    @Override
    public synchronized long tryOpen() {
        Rate rate = divided(shaping.maxConnectionRate());
        if (rate == null) {
            return 0;
        }
        long wait = connections.take(rate, clock.getAsLong());
        if (wait > 0) {
            onWait.accept("connection");
        }
        return wait;
    }

    @Override
    public synchronized void replied(long nanos) {
        long now = clock.getAsLong();
        SiteShaping.Tarpit tarpit = shaping.tarpit();
        if (nanos < tarpit.threshold().toNanos()) {
            recover(now);
            return;
        }
        lastSlow = now;
        if (now - lastStep >= tarpit.threshold().toNanos() || tarpitLimit == Integer.MAX_VALUE) {
            tarpitLimit = Math.max(1, connectionLimit() / 2);
            lastStep = now;
        }
    }

    /**
     * Matches every distinct non-2xx remote reply of an attempt against the site's rules; each match applies its
     * action from now for its duration (a repeat hit extends it). Returns the hits, for metrics and logs.
     */
    public synchronized List<Hit> observe(SiteShaping current, Collection<SmtpReply> replies) {
        List<Hit> hits = new ArrayList<>();
        if (current.rules().isEmpty() || replies.isEmpty()) {
            return hits;
        }
        long now = clock.getAsLong();
        for (SmtpReply reply : replies) {
            String text = reply.toString();
            for (ShapingRule rule : current.rules()) {
                if (rule.matches(text)) {
                    effects.put(rule.name(), new Effect(rule, now + rule.duration().toNanos()));
                    hits.add(new Hit(rule, text));
                }
            }
        }
        return hits;
    }

    /** An operator's suspension (admin API): no new deliveries for {@code duration}. */
    public synchronized void suspend(Duration duration, String reason) {
        manualUntil = clock.getAsLong() + duration.toNanos();
        manualReason = Objects.requireNonNull(reason, "reason");
    }

    /** Lifts the operator's suspension and every suspending rule effect now. */
    public synchronized void resume() {
        manualUntil = Long.MIN_VALUE;
        manualReason = null;
        effects.values().removeIf(e -> e.rule().action() instanceof ShapingAction.Suspend);
    }

    /** Nothing in force that must outlive the site's queue (no effects, suspension or tarpit cut). */
    public synchronized boolean quiet() {
        expire(clock.getAsLong());
        return effects.isEmpty() && manualUntil == Long.MIN_VALUE && tarpitLimit == Integer.MAX_VALUE;
    }

    public synchronized State state(Instant wallNow) {
        long now = clock.getAsLong();
        expire(now);
        long until = suspendedUntil();
        String because = null;
        if (until != Long.MIN_VALUE) {
            because = manualUntil == until ? manualReason : effects.values().stream()
                    .filter(e -> e.rule().action() instanceof ShapingAction.Suspend && e.untilNanos() == until)
                    .map(e -> "rule " + e.rule().name()).findFirst().orElse(null);
        }
        return new State(until == Long.MIN_VALUE ? null : wallNow.plusNanos(until - now), because, connectionLimit(),
                messageRate(), divided(shaping.maxConnectionRate()), List.copyOf(effects.keySet()),
                tarpitLimit != Integer.MAX_VALUE);
    }

    /** The connection limit in force: configured (per node), lowered by rules and tarpit detection. */
    public synchronized int connectionLimit() {
        int limit = Math.max(1, shaping.limits().connectionLimit() / nodes);
        for (Effect e : effects.values()) {
            if (e.rule().action() instanceof ShapingAction.LimitConnections c) {
                limit = Math.min(limit, c.connectionLimit());
            }
        }
        return Math.min(limit, tarpitLimit);
    }

    private @Nullable Rate messageRate() {
        Rate rate = divided(shaping.maxMessageRate());
        for (Effect e : effects.values()) {
            if (e.rule().action() instanceof ShapingAction.LimitMessageRate r) {
                Rate lowered = java.util.Objects.requireNonNull(divided(r.rate()), "a rule's rate");
                if (rate == null || lowered.perSecond() < rate.perSecond()) {
                    rate = lowered;
                }
            }
        }
        return rate;
    }

    private @Nullable Rate divided(@Nullable Rate rate) {
        return rate == null || nodes == 1 ? rate : new Rate(rate.count(), rate.per().multipliedBy(nodes));
    }

    private long suspendedUntil() {
        long until = manualUntil;
        for (Effect e : effects.values()) {
            if (e.rule().action() instanceof ShapingAction.Suspend && e.untilNanos() > until) {
                until = e.untilNanos();
            }
        }
        return until;
    }

    private void expire(long now) {
        for (Iterator<Effect> it = effects.values().iterator(); it.hasNext(); ) {
            if (it.next().untilNanos() - now <= 0) {
                it.remove();
            }
        }
        if (manualUntil != Long.MIN_VALUE && manualUntil - now <= 0) {
            manualUntil = Long.MIN_VALUE;
            manualReason = null;
        }
    }

    /**
     * One connection back per recovery period without a slow reply, on the evidence of a fast one (a site that
     * merely saw no traffic has shown nothing); lifted at the configured limit.
     */
    private void recover(long now) {
        if (tarpitLimit == Integer.MAX_VALUE) {
            return;
        }
        long period = shaping.tarpit().recovery().toNanos();
        if (now - lastSlow >= period && now - lastStep >= period) {
            tarpitLimit++;
            lastStep = now;
            if (tarpitLimit >= Math.max(1, shaping.limits().connectionLimit() / nodes)) {
                tarpitLimit = Integer.MAX_VALUE;
            }
        }
    }

    /** For logs: the rules in force, by name, with what they do. */
    public synchronized Map<String, String> effects() {
        Map<String, String> out = new TreeMap<>();
        effects.forEach((name, e) -> out.put(name, e.rule().action().toString()));
        return out;
    }
}
