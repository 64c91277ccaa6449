package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.engine.admin.AdminApi.Refused;
import dev.relay.engine.dkim.DkimService;
import dev.relay.protocol.dkim.DkimAlgorithm;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The {@code /admin/dkim/DOMAIN/keys} endpoints ({@code relay system dkim}, README "DKIM signing"):
 * {@code POST} generates ({@code selector}, {@code algorithm} rsa|ed25519|both, {@code active_from}), {@code GET}
 * lists, {@code POST .../keys/SELECTOR/retire} ({@code at}, {@code published_until}) retires. Every key comes with
 * the TXT record that publishes it.
 */
final class DkimApi {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final DkimService service;

    DkimApi(DkimService service) {
        this.service = service;
    }

    Mono<Answer> route(HttpMethod method, List<String> path, ObjectNode body) {
        int n = path.size();
        if (n >= 3 && path.get(2).equals("keys")) {
            String domain = path.get(1);
            if (n == 3 && method.equals(HttpMethod.POST)) {
                return Mono.defer(() -> service.generate(domain, AdminApi.text(body, "selector"),
                        algorithms(AdminApi.text(body, "algorithm")), instant(body, "active_from")).collectList()
                        .map(keys -> Answer.ok(keys(domain, keys).put("sealed", service.sealed()))));
            }
            if (n == 3 && method.equals(HttpMethod.GET)) {
                return Mono.defer(() -> service.list(domain).collectList().map(keys -> Answer.ok(keys(domain, keys))));
            }
            if (n == 5 && path.get(4).equals("retire") && method.equals(HttpMethod.POST)) {
                String selector = path.get(3);
                return Mono.defer(() -> service.retire(domain, selector, instant(body, "at"),
                                instant(body, "published_until"))
                        .map(key -> Answer.ok(F.objectNode().set("key", key(key))))
                        .defaultIfEmpty(new Answer(HttpResponseStatus.NOT_FOUND, F.objectNode().put("error",
                                "no DKIM key " + selector + " for " + domain))));
            }
        }
        throw new Refused(HttpResponseStatus.NOT_FOUND,
                "no admin endpoint " + method + " " + AdminApi.PREFIX + String.join("/", path));
    }

    /** {@code rsa}, {@code ed25519} or {@code both} (null: both, Ed25519 first, as RFC 8463 suggests). */
    static List<DkimAlgorithm> algorithms(@Nullable String name) {
        if (name == null || name.equalsIgnoreCase("both")) {
            return List.of(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256);
        }
        return List.of(DkimAlgorithm.byName(name).orElseThrow(() -> new IllegalArgumentException(
                "algorithm must be rsa, ed25519 or both, was '" + name + "'")));
    }

    private static @Nullable Instant instant(ObjectNode body, String name) {
        String text = AdminApi.text(body, name);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " must be a UTC time like 2026-12-31T00:00:00Z, was '"
                    + text + "'");
        }
    }

    private static ObjectNode keys(String domain, List<DkimService.Key> keys) {
        ObjectNode out = F.objectNode().put("domain", domain);
        ArrayNode list = out.putArray("keys");
        keys.forEach(k -> list.add(key(k)));
        return out;
    }

    static ObjectNode key(DkimService.Key key) {
        var r = key.record();
        ObjectNode out = F.objectNode()
                .put("domain", r.domain())
                .put("selector", r.selector())
                .put("algorithm", r.algorithm())
                .put("encrypted", r.encrypted())
                .put("active_from", r.activeFrom().toString())
                .put("active_until", r.activeUntil() == null ? null : r.activeUntil().toString())
                .put("published_until", r.publishedUntil() == null ? null : r.publishedUntil().toString())
                .put("created", r.created().toString());
        ObjectNode dns = out.putObject("dns");
        dns.put("name", key.dns().name()).put("type", "TXT").put("value", key.dns().value())
                .put("zone", key.dns().zoneLine());
        ArrayNode strings = dns.putArray("strings");
        key.dns().strings().forEach(strings::add);
        return out;
    }
}
