package dev.relay.engine.delivery;

import dev.relay.engine.config.SiteLimits;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * The connections of one site. Decisions are made under the pool's monitor (short, never blocking, never calling
 * out); their effects (QUIT, handing a slot to a waiter) run after it is released.
 *
 * <p>A caller gets a {@link Slot}: an idle connection to reuse (most recently used first, so the others can expire)
 * or the right to open one. Never more than {@code connectionLimit} are open or being opened, and new ones only as
 * the site's connection rate allows ({@link SitePacing}). Beyond that, callers wait in a FIFO bounded by
 * {@code maxWaiting} (the {@link DeliveryClient} contract says callers stay within the limit, so the queue absorbs
 * connection-rate waits and races with shaping changes); a full queue refuses at once. Idle connections and their
 * timers are {@link IdleConnections}'s.
 *
 * <p>Threads: every field is guarded by the pool's monitor; callers come from any thread (the delivery client,
 * event loops closing connections, idle timers, Reactor's timer for connection-rate waits).
 */
final class SitePool {
    /** A reused connection, or {@code null}: open a new one (the slot is already counted as open). */
    record Slot(@Nullable SmtpClientConnection reuse) {
    }

    /** {@code handed}: the slot given to it under the monitor, given back if it cancelled before receiving it. */
    private static final class Waiter {
        final MonoSink<Slot> sink;
        final SiteLimits limits;
        @Nullable Slot handed;

        Waiter(MonoSink<Slot> sink, SiteLimits limits) {
            this.sink = sink;
            this.limits = limits;
        }
    }

    static final class PoolFullException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PoolFullException() {
            super("pool full", null, false, false);
        }
    }

    private final String site;
    private final int maxWaiting;
    private final java.util.function.Consumer<SitePool> onRetire;
    private final IdleConnections<SmtpClientConnection> idle = new IdleConnections<>();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>();
    private int open;
    private int inUse;
    private int limit = 1;
    private SitePacing pacing = SitePacing.NONE;
    private boolean pumpPending;
    private boolean retired;

    SitePool(String site, int maxWaiting, java.util.function.Consumer<SitePool> onRetire) {
        this.site = site;
        this.maxWaiting = maxWaiting;
        this.onRetire = onRetire;
    }

    String site() {
        return site;
    }

    /**
     * Empty when the pool was retired meanwhile: the caller takes a fresh pool from the map. A new connection needs
     * a permit from {@code pacing} (the site's connection rate); without one the caller waits its turn, and the pool
     * tries again when the permit is due. A lowered limit QUITs idle connections beyond it.
     */
    Mono<Slot> acquire(SiteLimits limits, SitePacing pacing) {
        return Mono.create(sink -> {
            Slot slot = null;
            boolean queued = false;
            boolean full = false;
            List<SmtpClientConnection> surplus = new ArrayList<>();
            long retryIn = 0;
            synchronized (this) {
                limit = limits.connectionLimit();
                this.pacing = pacing;
                // open drops only when a QUIT completes, so count the ones already chosen
                while (open - surplus.size() > limit) {
                    SmtpClientConnection lru = idle.takeOldest(); // least recently used first
                    if (lru == null) {
                        break;
                    }
                    surplus.add(lru);
                }
                if (retired) {
                    // empty: the caller takes a fresh pool
                } else if (!idle.isEmpty()) {
                    inUse++;
                    slot = new Slot(idle.takeNewest());
                } else if (open < limit && waiters.isEmpty() && (retryIn = pacing.tryOpen()) == 0) {
                    open++;
                    inUse++;
                    slot = new Slot(null);
                } else if (waiters.size() < maxWaiting) {
                    Waiter waiter = new Waiter(sink, limits);
                    waiters.add(waiter);
                    sink.onCancel(() -> cancelled(waiter));
                    queued = true;
                } else {
                    full = true;
                }
            }
            surplus.forEach(this::quitThenFree);
            if (retryIn > 0) {
                pumpIn(retryIn);
            } else if (queued) {
                pump(); // a slot may have come free between the checks (never waits: fair order)
            }
            if (full) {
                sink.error(new PoolFullException());
            } else if (slot != null) {
                sink.success(slot);
            } else if (!queued) {
                sink.success();
            }
        });
    }

    /** Hands free connection slots to waiters, as far as the limit and the connection rate allow. */
    private void pump() {
        List<Waiter> served = new ArrayList<>();
        long retryIn = 0;
        synchronized (this) {
            pumpPending = false;
            while (!waiters.isEmpty() && open < limit) {
                retryIn = pacing.tryOpen();
                if (retryIn > 0) {
                    break;
                }
                Waiter waiter = nextWaiter(new Slot(null));
                open++;
                inUse++;
                served.add(waiter);
            }
        }
        if (retryIn > 0) {
            pumpIn(retryIn);
        }
        served.forEach(w -> w.sink.success(w.handed));
    }

    private void pumpIn(long nanos) {
        synchronized (this) {
            if (pumpPending) {
                return;
            }
            pumpPending = true;
        }
        Schedulers.parallel().schedule(this::pump, nanos, TimeUnit.NANOSECONDS);
    }

    private void cancelled(Waiter waiter) {
        Slot handed;
        synchronized (this) {
            handed = waiter.handed;
            if (handed == null) {
                waiters.remove(waiter);
                return;
            }
        }
        // handed over but cancelled before it arrived: give the slot back
        release(handed.reuse(), waiter.limits, handed.reuse() != null);
    }

    private @Nullable Waiter nextWaiter(Slot slot) {
        Waiter waiter = waiters.poll();
        if (waiter != null) {
            waiter.handed = slot;
        }
        return waiter;
    }

    /**
     * The caller is done with {@code connection} (null: opening failed). It goes back idle when it is open, under
     * {@code maxDeliveriesPerConnection} and {@code reusable}; otherwise it is QUIT and its slot passes on.
     */
    void release(@Nullable SmtpClientConnection connection, SiteLimits limits, boolean reusable) {
        Waiter waiter = null;
        boolean quit = false;
        synchronized (this) {
            inUse--;
            if (connection == null) {
                open--;
            } else if (reusable && !retired && connection.isOpen()
                    && connection.transactions() < limits.maxDeliveriesPerConnection() && open <= limit) {
                waiter = nextWaiter(new Slot(connection));
                if (waiter != null) {
                    inUse++;
                } else {
                    ScheduledFuture<?> timer = connection.eventLoop().schedule(() -> expire(connection),
                            limits.idleTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    idle.add(connection, timer);
                }
            } else {
                // the slot stays counted until the socket is closed: the provider must never see one too many
                quit = true;
            }
        }
        if (quit && connection != null) {
            quitThenFree(connection);
        }
        if (waiter != null) {
            waiter.sink.success(waiter.handed);
        }
        pump();
        retireIfUnused();
    }

    /** The idle timer fired, or an idle connection was closed by the peer. */
    void expire(SmtpClientConnection connection) {
        boolean removed;
        synchronized (this) {
            removed = idle.remove(connection);
        }
        if (removed) {
            quitThenFree(connection);
        }
    }

    /** QUIT, wait for the close, then give the connection's slot to a waiter (or drop it). */
    private void quitThenFree(SmtpClientConnection connection) {
        connection.quit().then(connection.closed()).onErrorResume(e -> Mono.empty()).doFinally(s -> {
            synchronized (this) {
                open--;
            }
            pump();
            retireIfUnused();
        }).subscribe();
    }

    /** QUITs the idle connections; refuses the waiters. In-use connections are QUIT when released. */
    List<Mono<Void>> close() {
        List<SmtpClientConnection> closing;
        List<Waiter> refused;
        synchronized (this) {
            retired = true;
            closing = idle.drain();
            open -= closing.size();
            refused = new ArrayList<>(waiters);
            waiters.clear();
        }
        refused.forEach(w -> w.sink.error(new PoolFullException()));
        return closing.stream().map(SmtpClientConnection::quit).toList();
    }

    synchronized SiteCounts counts() {
        return new SiteCounts(open, idle.size(), inUse, waiters.size());
    }

    private void retireIfUnused() {
        synchronized (this) {
            if (retired || open > 0 || inUse > 0 || !waiters.isEmpty()) {
                return;
            }
            retired = true;
        }
        onRetire.accept(this);
    }
}
