package dev.relay.engine.webhooks;

import dev.relay.engine.config.WebhooksConfig;
import dev.relay.storage.PgWebhooks;
import dev.relay.storage.PgWebhooks.Endpoint;
import dev.relay.storage.PgWebhooks.Failure;
import dev.relay.storage.PgWebhooks.OutboxEvent;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Posts the webhook outbox. Every {@code poll_interval} it reads the endpoints and starts one <em>pump</em> per
 * endpoint with a free slot; a pump claims up to {@code batch_size} due rows of its endpoint (SKIP LOCKED, leased),
 * POSTs them as one signed JSON array and settles them: 2xx deletes them, anything else retries them with backoff
 * or dead-letters them ({@link WebhookRetry}). A pump that got a full batch starts another one while a slot is free
 * and goes on itself, so a backlog drains with up to {@code max_in_flight} POSTs at once per endpoint; a failure
 * ends the pump until the next tick, so a failing endpoint is not hammered.
 *
 * <p>Isolation: the HTTP client runs on its own event loop and connection pool, every POST ends by
 * {@code webhooks.timeout}, and an endpoint only ever holds its own slots, so a slow, hanging or failing endpoint
 * delays neither mail delivery nor another endpoint. The database work is a few short statements per batch.
 *
 * <p>Threads: the lanes map is written by the timer's tick only (one at a time); a lane's slot count is atomic and
 * its endpoint a volatile field, read by pumps on the HTTP and driver threads.
 */
public final class WebhookDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    private static final Duration COUNT_EVERY = Duration.ofSeconds(5);
    private static final String GONE = "event no longer stored (events.retention dropped its day)";

    private final WebhooksConfig config;
    private final PgWebhooks store;
    private final WebhookRetry retry;
    private final Clock clock;
    private final WebhookObserver observer;
    private final LoopResources loops;
    private final ConnectionProvider connections;
    private final HttpClient http;
    private final Map<Long, Lane> lanes = new ConcurrentHashMap<>();
    /** Written by ticks only (one at a time). */
    private volatile Instant lastCount = Instant.EPOCH;
    private volatile Disposable task = reactor.core.Disposables.single();

    public WebhookDispatcher(WebhooksConfig config, PgWebhooks store, Clock clock, WebhookObserver observer) {
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.retry = new WebhookRetry(config.backoffBase(), config.backoffCap(), config.maxAge());
        // loaded here, on the starting thread, not first on an event loop
        WebhookSignature.hmac("warm-up", 0, new byte[0]);
        this.loops = LoopResources.create("relay-webhooks", 1, true);
        this.connections = ConnectionProvider.builder("relay-webhooks").maxConnections(1000)
                .pendingAcquireMaxCount(-1).pendingAcquireTimeout(config.timeout())
                .maxIdleTime(Duration.ofSeconds(30)).build();
        this.http = HttpClient.create(connections).runOn(loops)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.timeout().toMillis()))
                .responseTimeout(config.timeout())
                .followRedirect(false);
    }

    /** One endpoint's state on this node: its current settings and the POSTs in flight to it. */
    private static final class Lane {
        volatile Endpoint endpoint;
        final AtomicInteger busy = new AtomicInteger();

        Lane(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        boolean tryAcquire() {
            int max = endpoint.maxInFlight();
            while (true) {
                int b = busy.get();
                if (b >= max) {
                    return false;
                }
                if (busy.compareAndSet(b, b + 1)) {
                    return true;
                }
            }
        }
    }

    public WebhookDispatcher start(Scheduler timers) {
        task = Flux.interval(Duration.ZERO, config.pollInterval(), timers).onBackpressureDrop()
                .concatMap(tick -> tick().onErrorResume(e -> {
                    log.warn("webhooks: tick failed (next in {}): {}", config.pollInterval(), e.toString());
                    return Mono.empty();
                }), 1)
                .subscribe();
        return this;
    }

    private Mono<Void> tick() {
        Mono<Void> count = Mono.empty();
        Instant now = clock.instant();
        if (!now.isBefore(lastCount.plus(COUNT_EVERY))) {
            lastCount = now;
            count = store.counts().collectList().doOnNext(observer::counted).then();
        }
        return store.endpoints().filter(Endpoint::active).collectList().doOnNext(active -> {
            Set<Long> ids = active.stream().map(Endpoint::id).collect(Collectors.toSet());
            lanes.keySet().retainAll(ids);
            for (Endpoint e : active) {
                Lane lane = lanes.computeIfAbsent(e.id(), id -> new Lane(e));
                lane.endpoint = e;
                if (lane.tryAcquire()) {
                    pump(lane);
                }
            }
        }).then(count);
    }

    /** Holds one slot of {@code lane}; gives it back when the endpoint has nothing due or failed. */
    private void pump(Lane lane) {
        Endpoint endpoint = lane.endpoint;
        store.claim(endpoint.id(), config.batchSize(), config.lease()).collectList()
                .flatMap(batch -> {
                    if (batch.isEmpty()) {
                        return Mono.just(false);
                    }
                    if (batch.size() == config.batchSize() && lane.tryAcquire()) {
                        pump(lane); // more may be due: use another slot while this one posts
                    }
                    return send(endpoint, batch).map(ok -> ok && batch.size() == config.batchSize());
                })
                .onErrorResume(e -> {
                    log.warn("webhooks: endpoint {}: {}", endpoint.id(), e.toString());
                    return Mono.just(false);
                })
                .subscribe(more -> {
                    if (more && !task.isDisposed()) {
                        pump(lane);
                    } else {
                        lane.busy.decrementAndGet();
                    }
                }, e -> lane.busy.decrementAndGet());
    }

    /** Posts and settles one batch; whether the endpoint took it. */
    private Mono<Boolean> send(Endpoint endpoint, List<OutboxEvent> batch) {
        List<OutboxEvent> stored = new ArrayList<>(batch.size());
        List<OutboxEvent> gone = new ArrayList<>();
        for (OutboxEvent e : batch) {
            (e.kind() == null ? gone : stored).add(e);
        }
        Mono<Void> settleGone = gone.isEmpty() ? Mono.empty() : store.failed(gone.stream()
                        .map(e -> new Failure(e.outboxId(), clock.instant(), true)).toList(), GONE)
                .doOnNext(n -> observer.deadLettered(endpoint.id(), gone.size())).then();
        if (stored.isEmpty()) {
            return settleGone.thenReturn(true);
        }
        byte[] body = WebhookPayload.body(stored);
        return settleGone.then(post(endpoint, body))
                .flatMap(status -> status / 100 == 2 ? Mono.just("") : Mono.just("HTTP " + status))
                .onErrorResume(e -> Mono.just(describe(e)))
                .flatMap(error -> error.isEmpty()
                        ? store.done(stored.stream().map(OutboxEvent::outboxId).toList())
                                .doOnNext(n -> observer.delivered(endpoint.id(), stored.size())).thenReturn(true)
                        : failed(endpoint, stored, error).thenReturn(false));
    }

    private Mono<Integer> post(Endpoint endpoint, byte[] body) {
        long t = clock.instant().getEpochSecond();
        String signature = WebhookSignature.header(endpoint.secret(), t, body);
        return http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                        .set(HttpHeaderNames.USER_AGENT, "relay-webhooks")
                        .set(WebhookSignature.HEADER, signature))
                .post().uri(endpoint.url())
                .send(Mono.fromCallable(() -> Unpooled.wrappedBuffer(body)))
                .response((response, content) -> content.then(Mono.just(response.status().code())))
                .single()
                .timeout(config.timeout());
    }

    private Mono<Void> failed(Endpoint endpoint, List<OutboxEvent> batch, String error) {
        Instant now = clock.instant();
        List<Failure> failures = new ArrayList<>(batch.size());
        int dead = 0;
        for (OutboxEvent e : batch) {
            WebhookRetry.Decision d = retry.afterFailure(e.deliveries(), e.created(), now);
            if (d instanceof WebhookRetry.Retry r) {
                failures.add(new Failure(e.outboxId(), r.due(), false));
            } else {
                failures.add(new Failure(e.outboxId(), now, true));
                dead++;
            }
        }
        int deadLettered = dead;
        // a failing endpoint fails every POST until it recovers: one line per POST only when debugging, but every
        // dead letter is worth a warning
        if (deadLettered > 0) {
            log.warn("webhooks: endpoint {}: {} events dead-lettered after {} ({})", endpoint.id(), deadLettered,
                    retry.maxAge(), error);
        } else {
            log.debug("webhooks: endpoint {}: POST of {} events failed ({})", endpoint.id(), batch.size(), error);
        }
        return store.failed(failures, error).doOnNext(n -> {
            observer.retried(endpoint.id(), batch.size() - deadLettered);
            if (deadLettered > 0) {
                observer.deadLettered(endpoint.id(), deadLettered);
            }
        }).then();
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        String text = e instanceof java.util.concurrent.TimeoutException ? "timeout"
                : e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return text.replaceAll("\\p{Cntrl}", "?");
    }

    /** Stops polling; POSTs in flight end by their timeout, their rows fall due again after the lease. */
    @Override
    public void close() {
        task.dispose();
        connections.disposeLater().block(Duration.ofSeconds(5));
        loops.disposeLater().block(Duration.ofSeconds(5));
    }
}
