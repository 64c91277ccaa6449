package dev.relay.engine.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * The operator's HTTP listener: {@code /healthz} (the process is alive), {@code /readyz} (it can accept mail now)
 * and {@code /metrics} (Prometheus text format, or OpenMetrics when the scraper asks for it).
 */
public final class HttpEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);
    private static final String OPENMETRICS = "application/openmetrics-text";

    private final InetSocketAddress listen;
    private final PrometheusMeterRegistry registry;
    private final Supplier<Mono<Readiness>> readiness;
    private final Runnable beforeScrape;
    // its own small loop, so that a scrape or a probe never queues behind SMTP or delivery work (and is measurable)
    private final LoopResources loops = LoopResources.create("relay-http", 1, true);
    private final Consumer<HttpServerRoutes> moreRoutes;
    private @Nullable DisposableServer server; // set by start(), on the starting thread

    public HttpEndpoint(InetSocketAddress listen, PrometheusMeterRegistry registry,
            Supplier<Mono<Readiness>> readiness) {
        this(listen, registry, readiness, () -> { });
    }

    /** {@code beforeScrape} refreshes gauges computed from snapshots (queues, pools); it must not block. */
    public HttpEndpoint(InetSocketAddress listen, PrometheusMeterRegistry registry,
            Supplier<Mono<Readiness>> readiness, Runnable beforeScrape) {
        this(listen, registry, readiness, beforeScrape, routes -> { });
    }

    /** {@code moreRoutes} adds the routes of other parts (the admin API under /admin/). */
    public HttpEndpoint(InetSocketAddress listen, PrometheusMeterRegistry registry,
            Supplier<Mono<Readiness>> readiness, Runnable beforeScrape, Consumer<HttpServerRoutes> moreRoutes) {
        this.moreRoutes = Objects.requireNonNull(moreRoutes, "moreRoutes");
        this.listen = Objects.requireNonNull(listen, "listen");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.readiness = Objects.requireNonNull(readiness, "readiness");
        this.beforeScrape = Objects.requireNonNull(beforeScrape, "beforeScrape");
    }

    /** What /readyz reports; ready only when every part is. */
    public record Readiness(boolean database, boolean listening, boolean draining) {
        boolean ready() {
            return database && listening && !draining;
        }

        String json() {
            return "{\"status\":\"" + (ready() ? "ready" : "not_ready") + "\",\"database\":" + database
                    + ",\"smtp_listening\":" + listening + ",\"draining\":" + draining + "}\n";
        }
    }

    public InetSocketAddress start() {
        DisposableServer server = HttpServer.create()
                .bindAddress(() -> listen)
                .runOn(loops)
                .route(routes -> moreRoutes.accept(routes
                        .get("/healthz", (request, response) -> json(response, HttpResponseStatus.OK,
                                "{\"status\":\"up\"}\n"))
                        .get("/readyz", (request, response) -> readiness.get()
                                .timeout(Duration.ofSeconds(3))
                                .onErrorReturn(new Readiness(false, false, false))
                                .flatMap(r -> json(response,
                                        r.ready() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                                        r.json()).then()))
                        .get("/metrics", this::metrics)))
                .bindNow();
        this.server = server;
        InetSocketAddress bound = (InetSocketAddress) server.address();
        log.info("HTTP listening on {}:{} (/healthz /readyz /metrics /admin/)", bound.getHostString(), bound.getPort());
        return bound;
    }

    private org.reactivestreams.Publisher<Void> metrics(HttpServerRequest request, HttpServerResponse response) {
        String accept = request.requestHeaders().get(HttpHeaderNames.ACCEPT, "");
        String contentType = accept.contains(OPENMETRICS)
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
        return Mono.fromCallable(() -> {
                    beforeScrape.run();
                    return registry.scrape(contentType);
                })
                .flatMap(body -> response.header(HttpHeaderNames.CONTENT_TYPE, contentType)
                        .sendString(Mono.just(body)).then());
    }

    private static Mono<Void> json(HttpServerResponse response, HttpResponseStatus status, String body) {
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .sendString(Mono.just(body)).then();
    }

    /** The event loop serving HTTP (for metrics). */
    public EventLoopGroup eventLoops() {
        return loops.onServer(LoopResources.DEFAULT_NATIVE);
    }

    @Override
    public void close() {
        if (server != null) {
            server.disposeNow(Duration.ofSeconds(5));
        }
        loops.disposeLater(Duration.ZERO, Duration.ofSeconds(2)).block(Duration.ofSeconds(5));
    }
}
