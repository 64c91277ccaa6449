package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.engine.admin.AdminApi.Refused;
import dev.relay.engine.config.Durations;
import dev.relay.storage.SuppressionRecords;
import dev.relay.storage.SuppressionRecords.Addition;
import dev.relay.storage.SuppressionRecords.Cursor;
import dev.relay.storage.SuppressionRecords.Filter;
import dev.relay.storage.SuppressionRecords.Page;
import dev.relay.storage.SuppressionRecords.Reason;
import dev.relay.storage.SuppressionRecords.Suppression;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * The {@code /admin/suppression} endpoints (listed in the README, "Suppression"). The export streams: pages of the
 * list are read as the client takes the chunked response, so any number of rows passes through bounded memory.
 */
final class SuppressionApi {
    /** Rows written to the response per chunk. */
    private static final int ROWS_PER_CHUNK = 200;
    static final String CSV_HEADER = "address,scope,reason,category,created_at,expires_at,created_by,detail\r\n";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final SuppressionService service;

    SuppressionApi(SuppressionService service) {
        this.service = service;
    }

    static boolean isExport(List<String> path) {
        return path.size() == 2 && path.get(0).equals("suppression") && path.get(1).equals("export");
    }

    /** {@code GET /admin/suppression/export?format=csv|json&scope=&reason=&since=}: the whole filtered list. */
    Publisher<Void> export(HttpMethod method, Map<String, List<String>> params, HttpServerResponse response) {
        if (!method.equals(HttpMethod.GET)) {
            throw new Refused(HttpResponseStatus.METHOD_NOT_ALLOWED, "use GET for this endpoint, not " + method);
        }
        String format = AdminApi.param(params, "format");
        boolean csv = format == null || format.equalsIgnoreCase("csv");
        if (format != null && !csv && !format.equalsIgnoreCase("json")) {
            throw new IllegalArgumentException("format must be csv or json, was '" + format + "'");
        }
        Filter filter = filter(params, Filter.MAX_LIMIT);
        Flux<String> rows = service.export(filter).map(e -> csv ? csvRow(e) : entry(e).toString());
        Flux<String> body;
        if (csv) {
            body = Flux.concat(Mono.just(CSV_HEADER), rows.buffer(ROWS_PER_CHUNK).map(b -> String.join("", b)));
        } else {
            // a JSON array, one entry per line
            body = Flux.concat(Mono.just("["), rows.index().map(t -> (t.getT1() == 0 ? "\n" : ",\n") + t.getT2())
                    .buffer(ROWS_PER_CHUNK).map(b -> String.join("", b)), Mono.just("\n]\n"));
        }
        return response.status(HttpResponseStatus.OK)
                .header(HttpHeaderNames.CONTENT_TYPE, csv ? "text/csv; charset=utf-8" : "application/json")
                .header(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\"suppression."
                        + (csv ? "csv" : "json") + "\"")
                .header(HttpHeaderNames.CACHE_CONTROL, "no-store")
                .sendString(body).then();
    }

    Mono<Answer> route(HttpMethod method, List<String> path, Map<String, List<String>> params, ObjectNode body,
                       String actor) {
        int n = path.size();
        if (n == 1 && method.equals(HttpMethod.GET)) {
            return Mono.defer(() -> {
                int limit = AdminApi.limit(AdminApi.param(params, "limit"));
                return service.list(filter(params, limit)).map(page -> Answer.ok(page(page)));
            });
        }
        if (n == 1 && method.equals(HttpMethod.POST)) {
            return Mono.defer(() -> service.add(addition(body, actor)).map(added -> Answer.ok(F.objectNode()
                    .put("change", added.change().name().toLowerCase(Locale.ROOT))
                    .set("entry", entry(added.entry())))));
        }
        if (n == 2 && method.equals(HttpMethod.GET)) {
            String address = SuppressionRecords.checkAddress(path.get(1));
            return service.show(address).collectList().map(list -> {
                ObjectNode out = F.objectNode().put("address", address);
                ArrayNode a = out.putArray("entries");
                list.forEach(e -> a.add(entry(e)));
                return list.isEmpty() ? new Answer(HttpResponseStatus.NOT_FOUND, out.put("error",
                        address + " is not suppressed")) : Answer.ok(out);
            });
        }
        if (n == 2 && method.equals(HttpMethod.DELETE)) {
            String address = SuppressionRecords.checkAddress(path.get(1));
            String scope = scope(AdminApi.param(params, "scope"));
            return service.remove(scope, address, actor).map(removed -> {
                ObjectNode out = F.objectNode().put("address", address).put("scope", scope).put("removed", removed);
                return removed ? Answer.ok(out) : new Answer(HttpResponseStatus.NOT_FOUND,
                        out.put("error", address + " is not suppressed for scope " + scope));
            });
        }
        throw new Refused(n <= 2 ? HttpResponseStatus.METHOD_NOT_ALLOWED : HttpResponseStatus.NOT_FOUND,
                "no admin endpoint " + method + " " + AdminApi.PREFIX + String.join("/", path));
    }

    private Addition addition(ObjectNode body, String actor) {
        String address = AdminApi.text(body, "address");
        if (address == null) {
            throw new IllegalArgumentException("'address' is required");
        }
        String reason = AdminApi.text(body, "reason");
        String expiresIn = AdminApi.text(body, "expires_in");
        Instant expires = null;
        if (expiresIn != null) {
            Duration d = Durations.parse(expiresIn);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("'expires_in' must be a positive duration, was '" + expiresIn + "'");
            }
            expires = service.clock().instant().plus(d);
        }
        return new Addition(scope(AdminApi.text(body, "scope")), address,
                reason == null ? Reason.MANUAL : Reason.parse(reason.toLowerCase(Locale.ROOT)),
                AdminApi.text(body, "category"), AdminApi.text(body, "detail"), expires, actor);
    }

    private Filter filter(Map<String, List<String>> params, int limit) {
        String reason = AdminApi.param(params, "reason");
        String scope = AdminApi.param(params, "scope");
        String cursor = AdminApi.param(params, "cursor");
        return new Filter(scope, reason == null ? null : Reason.parse(reason.toLowerCase(Locale.ROOT)),
                since(AdminApi.param(params, "since")), cursor == null ? null : Cursor.parse(cursor), limit);
    }

    /** {@code since}: a duration back from now ({@code 24h}, {@code 7d}) or an ISO-8601 instant. */
    private @Nullable Instant since(@Nullable String text) {
        if (text == null) {
            return null;
        }
        if (Character.isDigit(text.charAt(text.length() - 1))) {
            throw new IllegalArgumentException("since must be a duration like 24h or an instant like"
                    + " 2026-01-31T00:00:00Z, was '" + text + "'");
        }
        if (text.endsWith("Z") && text.contains("T")) {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("since: not an ISO-8601 instant: '" + text + "'");
            }
        }
        return service.clock().instant().minus(Durations.parse(text));
    }

    private static String scope(@Nullable String scope) {
        return scope == null ? SuppressionRecords.GLOBAL : SuppressionRecords.checkScope(scope);
    }

    static ObjectNode page(Page page) {
        ObjectNode out = F.objectNode();
        ArrayNode a = out.putArray("suppressions");
        page.items().forEach(e -> a.add(entry(e)));
        Cursor next = page.next();
        return out.put("next_cursor", next == null ? null : next.encode());
    }

    static ObjectNode entry(Suppression e) {
        return F.objectNode().put("address", e.address()).put("scope", e.scope()).put("reason", e.reason().label())
                .put("category", e.category()).put("detail", e.detail())
                .put("created_at", e.createdAt().toString())
                .put("expires_at", e.expiresAt() == null ? null : e.expiresAt().toString())
                .put("created_by", e.createdBy());
    }

    /** One RFC 4180 record, CRLF-terminated; every field that needs it quoted. */
    static String csvRow(Suppression e) {
        StringBuilder b = new StringBuilder(96);
        field(b, e.address()).append(',');
        field(b, e.scope()).append(',');
        field(b, e.reason().label()).append(',');
        field(b, e.category()).append(',');
        field(b, e.createdAt().toString()).append(',');
        field(b, e.expiresAt() == null ? null : e.expiresAt().toString()).append(',');
        field(b, e.createdBy()).append(',');
        field(b, e.detail());
        return b.append("\r\n").toString();
    }

    private static StringBuilder field(StringBuilder b, @Nullable String value) {
        if (value == null) {
            return b;
        }
        // exact values, never rewritten (senders match them against their records): quoting is all a CSV needs
        String v = value;
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            return b.append('"').append(v.replace("\"", "\"\"")).append('"');
        }
        return b.append(v);
    }

}
