package dev.relay.engine.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.ClientLimitsConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Per client IP address limits (Postfix's anvil): connections open at once, new connections per minute and failed
 * AUTH attempts per minute. Shared by every session of a listener, so thread-safe: the open-connection counts live
 * in a concurrent map that holds only addresses with a connection open (at most {@code smtp.max_connections}
 * entries); the per-minute counters live in Caffeine caches that forget an address a minute after its window began
 * and hold at most {@code tracked_addresses} of them, so a scan from many addresses costs bounded memory (an
 * address evicted early only starts a fresh window).
 *
 * <p>Rates are counted in fixed one-minute windows per address, as anvil does. Clients in {@code relay_networks}
 * are exempt from all three limits.
 */
final class ClientLimits {
    private static final long MINUTE = TimeUnit.MINUTES.toNanos(1);

    /** One address's fixed window. Guarded by its own monitor. */
    private static final class Window {
        private long start;
        private int count;

        Window(long start) {
            this.start = start;
        }

        /** Counts one event unless {@code limit} events were counted in this window already. */
        synchronized boolean tryAdd(long now, int limit) {
            roll(now);
            if (count >= limit) {
                return false;
            }
            count++;
            return true;
        }

        synchronized void remove() {
            if (count > 0) {
                count--;
            }
        }

        private void roll(long now) {
            if (now - start >= MINUTE) {
                start = now;
                count = 0;
            }
        }
    }

    private final ClientLimitsConfig config;
    private final List<Cidr> exempt;
    private final Ticker ticker;
    private final Map<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Cache<InetAddress, Window> connectionRates;
    private final Cache<InetAddress, Window> authFailures;

    ClientLimits(ClientLimitsConfig config, List<Cidr> exempt) {
        this(config, exempt, Ticker.systemTicker());
    }

    ClientLimits(ClientLimitsConfig config, List<Cidr> exempt, Ticker ticker) {
        this.config = config;
        this.exempt = List.copyOf(exempt);
        this.ticker = ticker;
        this.connectionRates = window(config.trackedAddresses());
        this.authFailures = window(config.trackedAddresses());
    }

    private Cache<InetAddress, Window> window(int size) {
        return Caffeine.newBuilder().maximumSize(size).expireAfterWrite(Duration.ofMinutes(1)).ticker(ticker)
                .executor(Runnable::run) // maintenance inline: no ForkJoinPool task from an event loop
                .build();
    }

    /** What {@link #connect} decided. */
    enum Admission { ADMITTED, TOO_MANY_CONNECTIONS, TOO_MANY_NEW_CONNECTIONS }

    boolean exempt(InetAddress client) {
        for (Cidr network : exempt) {
            if (network.contains(client)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Counts a new connection from {@code client}; when {@link Admission#ADMITTED} the caller must call
     * {@link #disconnect} once it ends. A refused connection still counts against the rate (as in anvil).
     */
    Admission connect(InetAddress client) {
        if (exempt(client)) {
            return Admission.ADMITTED;
        }
        int rate = config.maxNewConnectionsPerIpPerMinute();
        if (rate > 0 && !connectionRates.get(client, a -> new Window(ticker.read())).tryAdd(ticker.read(), rate)) {
            return Admission.TOO_MANY_NEW_CONNECTIONS;
        }
        int max = config.maxConnectionsPerIp();
        if (max > 0) {
            boolean[] admitted = {false};
            open.compute(client, (a, count) -> {
                AtomicInteger c = count == null ? new AtomicInteger() : count;
                if (c.get() < max) {
                    c.incrementAndGet();
                    admitted[0] = true;
                }
                return c.get() == 0 ? null : c;
            });
            if (!admitted[0]) {
                return Admission.TOO_MANY_CONNECTIONS;
            }
        }
        return Admission.ADMITTED;
    }

    /** The end of a connection {@link #connect} admitted. */
    void disconnect(InetAddress client) {
        if (exempt(client) || config.maxConnectionsPerIp() == 0) {
            return;
        }
        open.computeIfPresent(client, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
    }

    /**
     * Reserves one AUTH attempt of {@code client} before its password is checked; false when the address has used
     * up its failures for this minute. The attempt counts as a failure until {@link #authSucceeded} gives it back,
     * so concurrent connections of one address cannot start more password checks than the limit.
     */
    boolean tryAuth(InetAddress client) {
        int limit = config.maxAuthFailuresPerIpPerMinute();
        if (limit == 0 || exempt(client)) {
            return true;
        }
        return authFailures.get(client, a -> new Window(ticker.read())).tryAdd(ticker.read(), limit);
    }

    void authSucceeded(InetAddress client) {
        if (config.maxAuthFailuresPerIpPerMinute() == 0 || exempt(client)) {
            return;
        }
        Window window = authFailures.getIfPresent(client);
        if (window != null) {
            window.remove();
        }
    }

    Duration authFailureDelay() {
        return config.authFailureDelay();
    }

    /** For tests: addresses in the new-connection table (after pending evictions). */
    long trackedRates() {
        connectionRates.cleanUp();
        return connectionRates.estimatedSize();
    }

    /** For tests: addresses with a connection counted open. */
    int trackedOpen() {
        return open.size();
    }
}
