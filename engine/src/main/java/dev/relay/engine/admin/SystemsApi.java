package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.engine.admin.AdminApi.Refused;
import dev.relay.engine.auth.AuthUser;
import dev.relay.engine.auth.PasswordHash;
import dev.relay.engine.identity.UsersImport;
import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords;
import dev.relay.storage.SystemRecords.Change;
import dev.relay.storage.SystemRecords.Credential;
import dev.relay.storage.SystemRecords.Detail;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.SystemInfo;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The {@code /admin/systems} endpoints (listed in the README, "Connected systems"): systems, their credentials and
 * sending domains. A change answers 200 with what was done, 404 when the system (or credential, domain) does not
 * exist, 409 when a name is taken or a domain belongs to another system.
 */
final class SystemsApi {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final SystemsService service;

    SystemsApi(SystemsService service) {
        this.service = service;
    }

    Mono<Answer> route(HttpMethod method, List<String> path, ObjectNode body) {
        int n = path.size();
        boolean get = method.equals(HttpMethod.GET);
        boolean post = method.equals(HttpMethod.POST);
        boolean delete = method.equals(HttpMethod.DELETE);
        if (n == 1 && get) {
            return service.store().list().collectList().map(list -> {
                ObjectNode out = F.objectNode();
                ArrayNode a = out.putArray("systems");
                list.forEach(l -> a.add(system(l.system()).put("credentials", l.activeCredentials())
                        .set("domains", strings(l.domains()))));
                return Answer.ok(out);
            });
        }
        if (n == 1 && post) {
            return Mono.defer(() -> {
                String name = required(body, "name");
                String lane = AdminApi.text(body, "lane");
                return change(service.applied(service.store().addSystem(name, lane(lane), AdminApi.text(body,
                        "notes"))));
            });
        }
        if (n == 2 && path.get(1).equals("import") && post) {
            return Mono.defer(() -> importUsers(body));
        }
        if (n < 2) {
            throw notFound(method, path);
        }
        String name = path.get(1);
        if (n == 2 && get) {
            return service.store().show(name).map(d -> Answer.ok(detail(d)))
                    .defaultIfEmpty(new Answer(HttpResponseStatus.NOT_FOUND, error("no system " + name)));
        }
        if (n == 2 && (post || method.equals(HttpMethod.PATCH))) {
            return Mono.defer(() -> change(service.applied(service.store().update(name,
                    body.hasNonNull("lane") ? lane(AdminApi.text(body, "lane")) : null, AdminApi.text(body, "notes"),
                    bool(body, "dkim_sign_as_system_domain"), verp(body)))));
        }
        if (n == 3 && post && (path.get(2).equals("enable") || path.get(2).equals("disable"))) {
            return change(service.applied(service.store().setActive(name, path.get(2).equals("enable"))));
        }
        if (n == 3 && post && path.get(2).equals("credentials")) {
            return service.addCredential(name).map(r -> r instanceof SystemsService.NewCredential c
                    ? Answer.ok(F.objectNode().put("system", c.system()).put("username", c.username())
                            .put("password", c.password()))
                    : answer((Change) r));
        }
        if (n == 4 && delete && path.get(2).equals("credentials")) {
            return change(service.applied(service.store().revokeCredential(name, path.get(3))));
        }
        if (n == 3 && post && path.get(2).equals("domains")) {
            return Mono.defer(() -> {
                JsonNode subs = body.get("include_subdomains");
                if (subs != null && !subs.isNull() && !subs.isBoolean()) {
                    throw new IllegalArgumentException("'include_subdomains' must be true or false");
                }
                return change(service.applied(service.store().addDomain(name, required(body, "domain"),
                        subs != null && subs.asBoolean(), AdminApi.text(body, "list_help"))));
            });
        }
        if (n == 4 && delete && path.get(2).equals("domains")) {
            return change(service.applied(service.store().removeDomain(name, path.get(3))));
        }
        throw notFound(method, path);
    }

    /** {@code {"users": [{"name", "password_hash", "priority", "domains": []}]}}: the CLI sends a users file so. */
    private Mono<Answer> importUsers(ObjectNode body) {
        JsonNode users = body.get("users");
        if (users == null || !users.isArray()) {
            throw new IllegalArgumentException("'users' must be a list");
        }
        List<AuthUser> list = new ArrayList<>();
        for (JsonNode u : users) {
            if (!(u instanceof ObjectNode o)) {
                throw new IllegalArgumentException("each of 'users' must be an object");
            }
            List<String> domains = new ArrayList<>();
            JsonNode ds = o.get("domains");
            if (ds != null && ds.isArray()) {
                ds.forEach(d -> domains.add(SystemRecords.checkDomain(d.asText())));
            }
            String priority = AdminApi.text(o, "priority");
            list.add(new AuthUser(required(o, "name"), PasswordHash.parse(required(o, "password_hash")),
                    priority == null ? AuthUser.TRANSACTIONAL : priority, domains));
        }
        return UsersImport.run(service.store(), list).collectList().flatMap(done -> service.applied(
                Mono.just(new SystemRecords.Done("imported"))).thenReturn(done)).map(done -> {
                    ObjectNode out = F.objectNode();
                    ArrayNode a = out.putArray("imported");
                    done.forEach(i -> a.add(F.objectNode().put("system", i.system())
                            .put("system_added", i.systemAdded()).put("username", i.username())
                            .put("credential", i.credential()).put("domains_added", i.domainsAdded())
                            .put("summary", UsersImport.describe(i))
                            .set("domains_of_other_systems", strings(i.domainsOfOthers()))));
                    return Answer.ok(out);
                });
    }

    private static Mono<Answer> change(Mono<Change> change) {
        return change.map(SystemsApi::answer);
    }

    private static Answer answer(Change c) {
        if (c instanceof SystemRecords.Done d) {
            return Answer.ok(F.objectNode().put("result", d.what()));
        }
        if (c instanceof SystemRecords.NotFound nf) {
            return new Answer(HttpResponseStatus.NOT_FOUND, error(nf.what()));
        }
        return new Answer(HttpResponseStatus.CONFLICT, error(((SystemRecords.Conflict) c).what()));
    }

    private static Priority lane(@Nullable String lane) {
        if (lane == null || lane.equals("transactional")) {
            return Priority.TRANSACTIONAL;
        }
        if (lane.equals("bulk")) {
            return Priority.BULK;
        }
        throw new IllegalArgumentException("'lane' must be transactional or bulk, was '" + lane + "'");
    }

    /** An optional boolean field; null when absent. */
    /** {@code "verp": "on" | "off" | "default"}, null when absent. */
    private static dev.relay.storage.PgSystems.@Nullable VerpSetting verp(ObjectNode body) {
        JsonNode v = body.get("verp");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("'verp' must be on, off or default, was " + v);
        }
        return dev.relay.storage.PgSystems.VerpSetting.parse(v.asText());
    }

    private static @Nullable Boolean bool(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException("'" + name + "' must be true or false, was " + v);
        }
        return v.asBoolean();
    }

    private static String required(ObjectNode body, String name) {
        String v = AdminApi.text(body, name);
        if (v == null) {
            throw new IllegalArgumentException("'" + name + "' is required");
        }
        return v;
    }

    static ObjectNode system(SystemInfo s) {
        return F.objectNode().put("name", s.name()).put("active", s.active())
                .put("lane", s.defaultLane() == Priority.BULK ? "bulk" : "transactional").put("notes", s.notes())
                .put("dkim_sign_as_system_domain", s.dkimSignAsSystemDomain())
                .put("verp", s.verp() == null ? "default" : s.verp() ? "on" : "off")
                .put("created_at", s.createdAt().toString()).put("updated_at", s.updatedAt().toString());
    }

    static ObjectNode detail(Detail d) {
        ObjectNode out = system(d.system());
        ArrayNode cs = out.putArray("credentials");
        for (Credential c : d.credentials()) {
            cs.add(F.objectNode().put("username", c.username()).put("created_at", c.createdAt().toString())
                    .put("revoked_at", c.revokedAt() == null ? null : c.revokedAt().toString()));
        }
        ArrayNode ds = out.putArray("domains");
        for (SendingDomain s : d.domains()) {
            ds.add(F.objectNode().put("domain", s.domain()).put("include_subdomains", s.includeSubdomains())
                    .put("list_help", s.listHelp()));
        }
        return out;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode a = F.arrayNode();
        values.forEach(a::add);
        return a;
    }

    private static ObjectNode error(String message) {
        return F.objectNode().put("error", message);
    }

    private static Refused notFound(HttpMethod method, List<String> path) {
        return new Refused(HttpResponseStatus.NOT_FOUND, "no admin endpoint " + method + " " + AdminApi.PREFIX
                + String.join("/", path));
    }
}
