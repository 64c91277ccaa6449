package dev.relay.engine.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.auth.Authenticator;
import dev.relay.engine.config.Durations;
import dev.relay.storage.MessageId;
import dev.relay.storage.QueueEntry;
import dev.relay.storage.QueueRecords.Filter;
import dev.relay.storage.SpoolUnavailableException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.http.server.HttpServerRoutes;

/**
 * The admin HTTP API under {@value #PREFIX} on the HTTP listener: JSON in and out, every request authenticated by
 * {@code Authorization: Bearer <token>} (missing: 401, wrong: 403). Without a configured token the API is disabled
 * and every {@code /admin/} path answers 404 saying so. The operator's name for the event rows and logs comes from
 * the {@code X-Relay-Actor} header (the CLI sends {@code $USER}); endpoints are listed in the README. A connected
 * system may also read {@code GET stats} and {@code GET history/...} with {@code Authorization: Basic} and one of
 * its SMTP credentials, and then sees only its own messages ({@link SystemAccess}). Stateless.
 */
public final class AdminApi {
    public static final String PREFIX = "/admin/";
    public static final String ACTOR_HEADER = "X-Relay-Actor";
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 10_000;
    private static final int MAX_BODY = 64 * 1024;
    private static final Pattern ACTOR_UNSAFE = Pattern.compile("[^A-Za-z0-9._@+-]");
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final @Nullable AdminToken token;
    private final @Nullable QueueService queue;
    private final @Nullable SuppressionApi suppression;
    private final @Nullable EventsEndpoints events;
    private final @Nullable SystemsApi systems;
    private final @Nullable DkimApi dkim;
    private final @Nullable WebhooksApi webhooks;
    private final @Nullable SystemAccess systemAccess;

    /** @param token null: the API is disabled */
    public AdminApi(@Nullable AdminToken token, @Nullable QueueService queue) {
        this(token, queue, null, null, java.time.Clock.systemUTC());
    }

    /**
     * @param suppressions null: the suppression endpoints answer 404
     * @param events null: no statistics and history endpoints
     */
    public AdminApi(@Nullable AdminToken token, @Nullable QueueService queue,
                    @Nullable SuppressionService suppressions, dev.relay.storage.@Nullable EventQueries events,
                    java.time.Clock clock) {
        this(token, queue, suppressions, events, clock, Sections.NONE);
    }

    /**
     * The admin sections beyond the queue, suppression and events, each null when this relay has none.
     *
     * @param systems the {@code /admin/systems} endpoints
     * @param dkim the DKIM key endpoints
     * @param webhooks the webhook endpoints
     * @param webhookMaxInFlight {@code webhooks.max_in_flight}, for endpoints added without their own
     */
    public record Sections(@Nullable SystemsService systems, dev.relay.engine.dkim.@Nullable DkimService dkim,
                           dev.relay.storage.@Nullable PgWebhooks webhooks, int webhookMaxInFlight) {
        public static final Sections NONE = new Sections(null, null, null, 4);
    }

    public AdminApi(@Nullable AdminToken token, @Nullable QueueService queue,
                    @Nullable SuppressionService suppressions, dev.relay.storage.@Nullable EventQueries events,
                    java.time.Clock clock, Sections sections) {
        this(token, queue, suppressions, events, clock, sections, null);
    }

    /**
     * Connected systems' own access to statistics and history: HTTP Basic with one of their SMTP credentials.
     *
     * @param failureDelay how long a refused login waits before its 401 ({@code smtp.client_limits.auth_failure_delay})
     */
    public record SystemAccess(Authenticator authenticator, Duration failureDelay) {
        public SystemAccess {
            java.util.Objects.requireNonNull(authenticator, "authenticator");
            java.util.Objects.requireNonNull(failureDelay, "failureDelay");
        }
    }

    /** @param systemAccess null: only the admin token is accepted */
    public AdminApi(@Nullable AdminToken token, @Nullable QueueService queue,
                    @Nullable SuppressionService suppressions, dev.relay.storage.@Nullable EventQueries events,
                    java.time.Clock clock, Sections sections, @Nullable SystemAccess systemAccess) {
        this.token = token;
        this.systemAccess = systemAccess;
        this.systems = token == null || sections.systems() == null ? null : new SystemsApi(sections.systems());
        this.dkim = token == null || sections.dkim() == null ? null : new DkimApi(sections.dkim());
        this.webhooks = token == null || sections.webhooks() == null ? null
                : new WebhooksApi(sections.webhooks(), sections.webhookMaxInFlight());
        this.queue = token == null ? null : queue;
        this.suppression = token == null || suppressions == null ? null : new SuppressionApi(suppressions);
        this.events = token == null || events == null ? null : new EventsEndpoints(events, clock);
    }

    public void register(HttpServerRoutes routes) {
        routes.route(request -> request.uri().equals("/admin") || request.uri().startsWith(PREFIX), this::handle);
    }

    /** A request the API refuses, with its status and message. */
    static final class Refused extends RuntimeException {
        final HttpResponseStatus status;

        Refused(HttpResponseStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
        if (token == null || queue == null) {
            return error(response, HttpResponseStatus.NOT_FOUND, "the admin API is disabled: set http.admin_token_file"
                    + " in relay.yaml to a file holding a token (see README, Queue administration)");
        }
        String auth = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6) && systemAccess != null
                && events != null) {
            return asSystem(request, response, auth.substring(6).strip(), systemAccess, events);
        }
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            response.header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"relay-admin\"");
            return error(response, HttpResponseStatus.UNAUTHORIZED,
                    "authentication required: Authorization: Bearer <token>");
        }
        if (!token.matches(auth.substring(7).strip())) {
            log.warn("admin API: wrong token from {}", request.remoteAddress());
            return error(response, HttpResponseStatus.FORBIDDEN, "wrong admin token");
        }
        String actor = actor(request.requestHeaders().get(ACTOR_HEADER));
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        List<String> path = segments(uri.rawPath());
        if (suppression != null && SuppressionApi.isExport(path)) {
            SuppressionApi s = suppression;
            return Mono.defer(() -> Mono.from(s.export(request.method(), uri.parameters(), response)))
                    .onErrorResume(Refused.class, e -> error(response, e.status, String.valueOf(e.getMessage())))
                    .onErrorResume(IllegalArgumentException.class,
                            e -> error(response, HttpResponseStatus.BAD_REQUEST, String.valueOf(e.getMessage())));
        }
        return body(request)
                .flatMap(body -> route(request.method(), path, uri.parameters(), body, actor, queue))
                .onErrorResume(Refused.class, e -> Mono.just(new Answer(e.status, errorJson(e.getMessage()))))
                .onErrorResume(IllegalArgumentException.class,
                        e -> Mono.just(new Answer(HttpResponseStatus.BAD_REQUEST, errorJson(e.getMessage()))))
                .onErrorResume(SpoolUnavailableException.class, e -> Mono.just(
                        new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, errorJson("database unavailable: "
                                + e.getMessage()))))
                .onErrorResume(e -> {
                    log.error("admin API: {} {} failed", request.method(), request.uri(), e);
                    return Mono.just(new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                            errorJson("internal error: " + e)));
                })
                .flatMap(a -> send(response, a.status(), a.body()));
    }

    /**
     * A connected system's request: its credentials checked by the Authenticator (PBKDF2 on its own scheduler, never
     * on this event loop), a refusal answered 401 only after the failure delay, like a failed SMTP AUTH; then
     * {@code GET stats} and {@code GET history/...} scoped to the system, and 403 for every other endpoint.
     */
    private Publisher<Void> asSystem(HttpServerRequest request, HttpServerResponse response, String credentials,
                                     SystemAccess access, EventsEndpoints ev) {
        String[] userPass = basic(credentials);
        Mono<dev.relay.engine.auth.AuthResult> checked = userPass == null
                ? Mono.just(new dev.relay.engine.auth.AuthResult.Failure("?"))
                : access.authenticator().authenticate(userPass[0], userPass[1]);
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        List<String> path = segments(uri.rawPath());
        return checked.flatMap(result -> {
            if (!(result instanceof dev.relay.engine.auth.AuthResult.Success ok)) {
                log.warn("admin API: refused Basic login {} from {}", userPass == null ? "(malformed)"
                        : actor(userPass[0]), request.remoteAddress());
                response.header(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"relay\", charset=\"UTF-8\"");
                return Mono.delay(access.failureDelay()).then(error(response, HttpResponseStatus.UNAUTHORIZED,
                        "wrong credentials"));
            }
            String system = ok.system();
            Mono<Answer> answer;
            int n = path.size();
            if (n == 1 && path.get(0).equals("stats")) {
                answer = only(request.method(), HttpMethod.GET).then(ev.stats(uri.parameters(), system));
            } else if (n == 3 && path.get(0).equals("history")) {
                answer = only(request.method(), HttpMethod.GET).then(ev.history(path.get(1), path.get(2),
                        uri.parameters(), system));
            } else {
                answer = Mono.just(new Answer(HttpResponseStatus.FORBIDDEN, errorJson("a connected system may use"
                        + " GET " + PREFIX + "stats and " + PREFIX + "history/... only")));
            }
            return answer
                    .onErrorResume(Refused.class, e -> Mono.just(new Answer(e.status, errorJson(e.getMessage()))))
                    .onErrorResume(IllegalArgumentException.class,
                            e -> Mono.just(new Answer(HttpResponseStatus.BAD_REQUEST, errorJson(e.getMessage()))))
                    .onErrorResume(SpoolUnavailableException.class, e -> Mono.just(
                            new Answer(HttpResponseStatus.SERVICE_UNAVAILABLE, errorJson("database unavailable: "
                                    + e.getMessage()))))
                    .onErrorResume(e -> {
                        log.error("admin API: {} {} for system {} failed", request.method(), request.uri(), system, e);
                        return Mono.just(new Answer(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                                errorJson("internal error")));
                    })
                    .flatMap(a -> send(response, a.status(), a.body()));
        });
    }

    /** user and password of a Basic credential, or null when it is not base64 of {@code user:password}. */
    static String @Nullable [] basic(String encoded) {
        if (encoded.length() > 1024) {
            return null;
        }
        String decoded;
        try {
            decoded = new String(java.util.Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        return colon < 1 ? null : new String[] {decoded.substring(0, colon), decoded.substring(colon + 1)};
    }

    /** A status and JSON body. */
    record Answer(HttpResponseStatus status, JsonNode body) {
        static Answer ok(JsonNode body) {
            return new Answer(HttpResponseStatus.OK, body);
        }
    }

    private Mono<Answer> route(HttpMethod method, List<String> path, Map<String, List<String>> params,
                               ObjectNode body, String actor, QueueService q) {
        int n = path.size();
        if (n >= 1 && path.get(0).equals("dkim") && dkim != null) {
            return dkim.route(method, path, body);
        }
        if (n >= 1 && path.get(0).equals("suppression") && suppression != null) {
            return suppression.route(method, path, params, body, actor);
        }
        SystemsApi sys = systems;
        if (n >= 1 && path.get(0).equals("systems") && sys != null) {
            return Mono.defer(() -> sys.route(method, path, body));
        }
        if (n >= 1 && path.get(0).equals("webhooks") && webhooks != null) {
            return webhooks.route(method, path, params, body, actor);
        }
        EventsEndpoints ev = events;
        if (ev != null && n == 1 && path.get(0).equals("stats")) {
            return only(method, HttpMethod.GET).then(ev.stats(params, null));
        }
        if (ev != null && n == 3 && path.get(0).equals("history")) {
            return only(method, HttpMethod.GET).then(ev.history(path.get(1), path.get(2), params, null));
        }
        if (n < 2 || !path.get(0).equals("queue")) {
            return notFound(method, path);
        }
        String what = path.get(1);
        if (n == 2 && what.equals("summary")) {
            return only(method, HttpMethod.GET).then(q.summary().map(s -> Answer.ok(AdminJson.summary(s))));
        }
        if (n == 2 && what.equals("recipients")) {
            return only(method, HttpMethod.GET).then(Mono.defer(() -> {
                int limit = limit(param(params, "limit"));
                Filter filter = filter(params, limit);
                return q.list(filter).collectList().map(list -> Answer.ok(AdminJson.list(list, limit)));
            }));
        }
        if (n == 2 && what.equals("flush")) {
            String domain = lower(text(body, "domain"));
            return only(method, HttpMethod.POST).then(q.flush(domain, actor).map(count ->
                    Answer.ok(JSON.createObjectNode().put("flushed", count).put("domain", domain))));
        }
        if (n == 2 && what.equals("suspensions")) {
            return only(method, HttpMethod.GET).then(q.suspensions().map(s -> Answer.ok(AdminJson.suspensions(s))));
        }
        if (n == 4 && what.equals("sites")) {
            String site = path.get(2).toLowerCase(Locale.ROOT);
            if (path.get(3).equals("suspend")) {
                return only(method, HttpMethod.POST).then(Mono.defer(() -> {
                    String forText = text(body, "for");
                    Duration forHowLong = forText == null ? null : duration(forText);
                    String reason = text(body, "reason");
                    return q.suspend(site, forHowLong, reason == null ? "suspended by " + actor : reason, actor)
                            .map(s -> Answer.ok(AdminJson.suspension(s)));
                }));
            }
            if (path.get(3).equals("resume")) {
                return only(method, HttpMethod.POST).then(q.resume(site, actor).map(r -> r.wasSuspended()
                        ? Answer.ok(JSON.createObjectNode().put("site", site).put("resumed", true)
                                .put("flushed", r.flushed()))
                        : new Answer(HttpResponseStatus.NOT_FOUND, errorJson("site " + site + " is not suspended"))));
            }
        }
        if (what.equals("messages") && (n == 3 || n == 4)) {
            MessageId id = messageId(path.get(2));
            if (n == 3 && method.equals(HttpMethod.DELETE)) {
                return q.delete(id, actor).map(r -> AdminJson.removal(r, "deleted", null));
            }
            if (n == 3) {
                return only(method, HttpMethod.GET).then(q.show(id).map(h -> Answer.ok(AdminJson.history(h)))
                        .defaultIfEmpty(new Answer(HttpResponseStatus.NOT_FOUND,
                                errorJson("no message " + id + " in the queue or its history"))));
            }
            if (path.get(3).equals("bounce")) {
                String reason = text(body, "reason");
                return only(method, HttpMethod.POST).then(q.bounce(id, actor, reason == null ? "cancelled" : reason)
                        .map(b -> AdminJson.removal(b.removal(), "bounced", b.dsn())));
            }
        }
        return notFound(method, path);
    }

    private static Mono<Void> only(HttpMethod method, HttpMethod allowed) {
        return method.equals(allowed) ? Mono.empty() : Mono.error(new Refused(HttpResponseStatus.METHOD_NOT_ALLOWED,
                "use " + allowed + " for this endpoint, not " + method));
    }

    private static Mono<Answer> notFound(HttpMethod method, List<String> path) {
        return Mono.just(new Answer(HttpResponseStatus.NOT_FOUND, errorJson("no admin endpoint " + method + " "
                + PREFIX + String.join("/", path))));
    }

    private static Mono<ObjectNode> body(HttpServerRequest request) {
        return request.receive().aggregate().asString(StandardCharsets.UTF_8).defaultIfEmpty("")
                .map(text -> {
                    if (text.length() > MAX_BODY) {
                        throw new Refused(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large");
                    }
                    if (text.isBlank()) {
                        return JSON.createObjectNode();
                    }
                    try {
                        JsonNode node = JSON.readTree(text);
                        if (node instanceof ObjectNode o) {
                            return o;
                        }
                    } catch (JsonProcessingException e) {
                        // reported below
                    }
                    throw new IllegalArgumentException("the request body must be a JSON object");
                });
    }

    private static List<String> segments(String rawPath) {
        String rest = rawPath.length() <= PREFIX.length() ? "" : rawPath.substring(PREFIX.length());
        return java.util.Arrays.stream(rest.split("/")).filter(s -> !s.isEmpty())
                .map(s -> QueryStringDecoder.decodeComponent(s, StandardCharsets.UTF_8)).toList();
    }

    static @Nullable String param(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        return values == null || values.isEmpty() || values.get(0).isBlank() ? null : values.get(0).strip();
    }

    static @Nullable String text(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new IllegalArgumentException("'" + name + "' must be a non-empty string");
        }
        return v.asText().strip();
    }

    private static @Nullable String lower(@Nullable String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    /**
     * The list filter of a request. Filter's state is {@code QueueEntry.@Nullable State}, a type-use annotation on a
     * nested type in another module, which NullAway cannot read from class files on Java 17.
     */
    @SuppressWarnings("NullAway")
    private static Filter filter(Map<String, List<String>> params, int limit) {
        return new Filter(lower(param(params, "domain")), lower(param(params, "site")), state(param(params, "state")),
                limit + 1);
    }

    static int limit(@Nullable String text) {
        if (text == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("limit must be a number from 1 to " + MAX_LIMIT + ", was '" + text + "'");
    }

    private static QueueEntry.@Nullable State state(@Nullable String text) {
        return text == null ? null : QueueEntry.State.parse(text.toLowerCase(Locale.ROOT));
    }

    private static Duration duration(String text) {
        Duration d = Durations.parse(text);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("'for' must be a positive duration, was '" + text + "'");
        }
        return d;
    }

    private static MessageId messageId(String text) {
        try {
            return MessageId.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a queue id: '" + text + "' (" + e.getMessage() + ")");
        }
    }

    /** The operator's name from the header, reduced to safe characters; "admin" when absent. */
    static String actor(@Nullable String header) {
        if (header == null || header.isBlank()) {
            return "admin";
        }
        String clean = ACTOR_UNSAFE.matcher(header.strip()).replaceAll("_");
        return clean.length() > 64 ? clean.substring(0, 64) : clean;
    }

    private static ObjectNode errorJson(@Nullable String message) {
        return JSON.createObjectNode().put("error", message == null ? "error" : message);
    }

    private static Mono<Void> error(HttpServerResponse response, HttpResponseStatus status, String message) {
        return send(response, status, errorJson(message));
    }

    private static Mono<Void> send(HttpServerResponse response, HttpResponseStatus status, JsonNode body) {
        return response.status(status)
                .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .sendString(Mono.just(body.toString() + "\n")).then();
    }
}
