package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.engine.webhooks.WebhookSignature;
import dev.relay.storage.EventKind;
import dev.relay.storage.PgWebhooks;
import dev.relay.storage.PgWebhooks.Counts;
import dev.relay.storage.PgWebhooks.Endpoint;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * {@code /admin/webhooks}: {@code GET} lists the endpoints (never their secrets) with their pending and
 * dead-lettered counts; {@code POST} adds one ({@code sender}, {@code url}, optional {@code kinds} and
 * {@code max_in_flight}) and answers its generated secret, the only time it is shown; {@code DELETE
 * /admin/webhooks/ID} removes one with its outbox; {@code GET /admin/webhooks/dead?endpoint=ID&limit=N} lists dead
 * letters; {@code POST /admin/webhooks/ID/replay} puts an endpoint's dead letters back to pending. Stateless apart
 * from the random source, which is thread-safe.
 */
final class WebhooksApi {
    /** The kinds the outbox gets (written by acceptance and the write-back). */
    /** Every kind written as an event row (operator actions, suppression changes and the intake's included). */
    static final List<EventKind> KINDS = java.util.Arrays.stream(EventKind.values())
            .filter(k -> k != EventKind.HARD_BOUNCE && k != EventKind.SOFT_BOUNCE).toList();
    static final List<EventKind> DEFAULT_KINDS = List.of(EventKind.ACCEPTED, EventKind.DELIVERED,
            EventKind.DEFERRED, EventKind.BOUNCED, EventKind.EXPIRED);
    static final int MAX_URL = 2048;
    private static final Logger log = LoggerFactory.getLogger(WebhooksApi.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final PgWebhooks store;
    private final int defaultMaxInFlight;
    private final SecureRandom random;

    WebhooksApi(PgWebhooks store, int defaultMaxInFlight) {
        this.store = Objects.requireNonNull(store, "store");
        this.defaultMaxInFlight = defaultMaxInFlight;
        try {
            // DRBG seeded here, at start: later draws do no I/O, so they may run on the HTTP event loop
            this.random = SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no DRBG SecureRandom", e);
        }
        random.nextBytes(new byte[32]);
    }

    Mono<Answer> route(HttpMethod method, List<String> path, Map<String, List<String>> params, ObjectNode body,
                       String actor) {
        int n = path.size();
        if (n == 1 && method.equals(HttpMethod.GET)) {
            return list();
        }
        if (n == 1 && method.equals(HttpMethod.POST)) {
            return Mono.defer(() -> add(body, actor));
        }
        if (n == 2 && path.get(1).equals("dead")) {
            return only(method, HttpMethod.GET).then(Mono.defer(() -> dead(params)));
        }
        if (n == 2 && method.equals(HttpMethod.DELETE)) {
            long id = id(path.get(1));
            return store.remove(id).map(removed -> {
                if (!removed) {
                    return notFound(id);
                }
                log.info("webhook endpoint {} removed by {}", id, actor);
                return Answer.ok(F.objectNode().put("removed", id));
            });
        }
        if (n == 3 && path.get(2).equals("replay")) {
            long id = id(path.get(1));
            return only(method, HttpMethod.POST).then(store.endpoints().filter(e -> e.id() == id).hasElements())
                    .flatMap(exists -> !exists ? Mono.just(notFound(id)) : store.replay(id).map(count -> {
                        log.info("webhook endpoint {}: {} dead letters replayed by {}", id, count, actor);
                        return Answer.ok(F.objectNode().put("endpoint", id).put("replayed", count));
                    }));
        }
        return Mono.just(new Answer(HttpResponseStatus.NOT_FOUND, F.objectNode().put("error", "no admin endpoint "
                + method + " " + AdminApi.PREFIX + String.join("/", path))));
    }

    private Mono<Answer> list() {
        return store.counts().collectMap(Counts::endpointId, Function.identity())
                .zipWith(store.endpoints().collectList())
                .map(t -> {
                    ObjectNode out = F.objectNode();
                    ArrayNode items = out.putArray("endpoints");
                    for (Endpoint e : t.getT2()) {
                        Counts c = t.getT1().get(e.id());
                        endpoint(items.addObject(), e).put("pending", c == null ? 0 : c.pending())
                                .put("dead", c == null ? 0 : c.dead());
                    }
                    return Answer.ok(out);
                });
    }

    private Mono<Answer> add(ObjectNode body, String actor) {
        String sender = sender(AdminApi.text(body, "sender"));
        String url = url(AdminApi.text(body, "url"));
        List<Short> kinds = kinds(body.get("kinds"));
        int maxInFlight = defaultMaxInFlight;
        JsonNode m = body.get("max_in_flight");
        if (m != null && !m.isNull()) {
            if (!m.canConvertToInt() || m.asInt() < 1 || m.asInt() > 64) {
                throw new IllegalArgumentException("'max_in_flight' must be a number from 1 to 64, was " + m);
            }
            maxInFlight = m.asInt();
        }
        String secret = WebhookSignature.newSecret(random);
        return store.add(sender, url, secret, kinds, maxInFlight).map(e -> {
            log.info("webhook endpoint {} added by {} for sender {}", e.id(), actor, e.sender());
            ObjectNode out = F.objectNode();
            endpoint(out.putObject("endpoint"), e).put("secret", e.secret());
            return Answer.ok(out);
        });
    }

    private Mono<Answer> dead(Map<String, List<String>> params) {
        String endpointText = AdminApi.param(params, "endpoint");
        Long endpoint = endpointText == null ? null : id(endpointText);
        int limit = AdminApi.limit(AdminApi.param(params, "limit"));
        return store.deadLetters(endpoint, limit).collectList().map(list -> {
            ObjectNode out = F.objectNode();
            ArrayNode items = out.putArray("dead_letters");
            for (PgWebhooks.DeadLetter d : list) {
                items.addObject().put("id", d.outboxId()).put("endpoint", d.endpointId()).put("event", d.eventId())
                        .put("event_at", d.eventAt().toString()).put("sender", d.sender())
                        .put("attempts", d.attempts()).put("last_error", d.lastError())
                        .put("dead_at", d.deadAt().toString());
            }
            return Answer.ok(out);
        });
    }

    static ObjectNode endpoint(ObjectNode o, Endpoint e) {
        o.put("id", e.id()).put("sender", e.sender()).put("url", e.url());
        ArrayNode kinds = o.putArray("kinds");
        e.kinds().forEach(k -> kinds.add(EventKind.labelOf(k)));
        return o.put("active", e.active()).put("max_in_flight", e.maxInFlight()).put("created", e.created().toString());
    }

    static String sender(@Nullable String sender) {
        if (sender == null) {
            throw new IllegalArgumentException("'sender' is required: an AUTH user (or connected system) name, or *"
                    + " for every sender");
        }
        if (sender.length() > 255 || sender.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("'sender' must be 1 to 255 characters without spaces or control"
                    + " characters");
        }
        return sender;
    }

    static String url(@Nullable String url) {
        if (url == null) {
            throw new IllegalArgumentException("'url' is required (http:// or https://)");
        }
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'url' is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (url.length() > MAX_URL || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("'url' must be an absolute http:// or https:// URL with a host, at most "
                    + MAX_URL + " characters");
        }
        return url;
    }

    /** Names (array or comma-separated text) to codes; absent: the default kinds. */
    static List<Short> kinds(@Nullable JsonNode node) {
        List<String> names = new ArrayList<>();
        if (node == null || node.isNull()) {
            return DEFAULT_KINDS.stream().map(EventKind::code).toList();
        }
        if (node.isTextual()) {
            names.addAll(List.of(node.asText().split(",")));
        } else if (node.isArray()) {
            node.forEach(k -> names.add(k.asText()));
        } else {
            throw new IllegalArgumentException("'kinds' must be a list of event kinds");
        }
        Set<Short> codes = new LinkedHashSet<>();
        for (String name : names) {
            String clean = name.strip().toLowerCase(Locale.ROOT);
            EventKind kind = KINDS.stream().filter(k -> k.label().equals(clean)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown webhook event kind '" + clean.replaceAll(
                            "\\p{Cntrl}", "?") + "'; kinds: " + KINDS.stream().map(EventKind::label)
                            .collect(Collectors.joining(","))));
            codes.add(kind.code());
        }
        if (codes.isEmpty()) {
            throw new IllegalArgumentException("'kinds' must name at least one event kind");
        }
        return List.copyOf(codes);
    }

    private static long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an endpoint id: '" + text.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }

    private static Answer notFound(long id) {
        return new Answer(HttpResponseStatus.NOT_FOUND, F.objectNode().put("error", "no webhook endpoint " + id));
    }

    private static Mono<Void> only(HttpMethod method, HttpMethod allowed) {
        return method.equals(allowed) ? Mono.empty() : Mono.error(new AdminApi.Refused(
                HttpResponseStatus.METHOD_NOT_ALLOWED, "use " + allowed + " for this endpoint, not " + method));
    }
}
