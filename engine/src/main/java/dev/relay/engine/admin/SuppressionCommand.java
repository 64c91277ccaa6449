package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminCommandLine.Parsed;
import dev.relay.engine.admin.AdminCommandLine.Usage;
import dev.relay.engine.config.Durations;
import dev.relay.engine.config.RelayConfig;
import dev.relay.storage.SuppressionRecords;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay suppression ...}: the suppression list through the admin API, found and authenticated like
 * {@code relay queue} ({@link QueueCommand}). Tables for people, {@code --json} for scripts; {@code export} copies
 * the streamed CSV or JSON to standard output as it arrives. Exit codes: 0 done, 1 failed (or not found), 2 usage.
 */
public final class SuppressionCommand {
    static final String USAGE = """
            usage: relay suppression add ADDRESS [--scope S] [--reason R] [--detail TEXT] [--expires-in DURATION]
                   relay suppression remove ADDRESS [--scope S]
                   relay suppression show ADDRESS                        its entries in every scope
                   relay suppression list [--scope S] [--reason R] [--since 24h] [--limit N] [--cursor C]
                   relay suppression export [--format csv|json] [--scope S] [--reason R] [--since 24h]
            scope: a sender (its AUTH user name) or * for every sender (the default of add and remove)
            reason: manual (the default of add), unsubscribe, hard_bounce, complaint, soft_bounces
            options: --json  --url http://HOST:PORT  --token-file FILE  --config FILE""";
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "add", Set.of("--scope", "--reason", "--detail", "--expires-in"),
            "remove", Set.of("--scope"),
            "show", Set.of(),
            "list", Set.of("--scope", "--reason", "--since", "--limit", "--cursor"),
            "export", Set.of("--format", "--scope", "--reason", "--since"));
    private static final Set<String> OPTIONS = Set.of("--url", "--token-file", "--scope", "--reason", "--detail",
            "--expires-in", "--since", "--limit", "--cursor", "--format");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private SuppressionCommand() {}

    record Request(String method, String path, @Nullable ObjectNode body, String command) {}

    /** {@code args} may start with {@code suppression}. */
    public static int run(String[] args, RelayConfig config, Map<String, String> env, PrintStream out,
                          PrintStream err) {
        return AdminCommandLine.run("relay suppression", USAGE, args, config, env, out, err, SuppressionCommand::parse, p -> {
            Request request = request(p);
            return (base, token, actor) -> call(base, token, actor, request, p.json(), out, err);
        });
    }

    static Parsed parse(String[] args) {
        return AdminCommandLine.parse("suppression", args, OPTIONS, ALLOWED);
    }

    static Request request(Parsed p) {
        Map<String, String> o = p.options();
        String reason = o.get("--reason");
        if (reason != null) {
            SuppressionRecords.Reason.parse(reason); // a usage error before any request
        }
        switch (p.command()) {
            case "add": {
                String address = address(p);
                ObjectNode body = JSON.createObjectNode().put("address", address);
                putIf(body, "scope", o.get("--scope"));
                putIf(body, "reason", reason);
                putIf(body, "detail", o.get("--detail"));
                String expires = o.get("--expires-in");
                if (expires != null) {
                    Durations.parse(expires);
                    body.put("expires_in", expires);
                }
                return new Request("POST", "suppression", body, p.command());
            }
            case "remove": {
                String address = address(p);
                String scope = o.get("--scope");
                return new Request("DELETE", "suppression/" + encode(address)
                        + (scope == null ? "" : "?scope=" + encode(scope)), null, p.command());
            }
            case "show":
                return new Request("GET", "suppression/" + encode(address(p)), null, p.command());
            case "list":
            case "export": {
                if (!p.arguments().isEmpty()) {
                    throw new Usage("'suppression " + p.command() + "' takes no arguments");
                }
                if (o.containsKey("--limit")) {
                    AdminApi.limit(o.get("--limit"));
                }
                String format = o.get("--format");
                if (format != null && !format.equals("csv") && !format.equals("json")) {
                    throw new Usage("--format must be csv or json, was '" + format + "'");
                }
                StringBuilder query = new StringBuilder();
                for (String name : List.of("scope", "reason", "since", "limit", "cursor", "format")) {
                    String v = o.get("--" + name);
                    if (v != null) {
                        query.append(query.length() == 0 ? '?' : '&').append(name).append('=').append(encode(v));
                    }
                }
                return new Request("GET", "suppression" + (p.command().equals("export") ? "/export" : "") + query,
                        null, p.command());
            }
            default:
                throw new Usage("unknown suppression command '" + p.command() + "'");
        }
    }

    private static String address(Parsed p) {
        if (p.arguments().size() != 1) {
            throw new Usage("'suppression " + p.command() + "' takes one address, got " + p.arguments().size());
        }
        return SuppressionRecords.checkAddress(p.arguments().get(0));
    }

    private static void putIf(ObjectNode body, String name, @Nullable String value) {
        if (value != null) {
            body.put(name, value);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static int call(URI base, String token, String actor, Request r, boolean json, PrintStream out,
                            PrintStream err) {
        URI uri = base.resolve(AdminApi.PREFIX + r.path());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer " + token)
                .header(AdminApi.ACTOR_HEADER, actor);
        if (!r.command().equals("export")) {
            b.timeout(TIMEOUT); // an export of millions of rows may rightly take longer
        }
        ObjectNode requestBody = r.body();
        b = requestBody == null ? b.method(r.method(), HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json")
                        .method(r.method(), HttpRequest.BodyPublishers.ofString(requestBody.toString()));
        HttpResponse<InputStream> response;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            response = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.command().equals("export") && response.statusCode() == 200) {
                try (InputStream in = response.body()) {
                    in.transferTo(out); // as it streams: never the whole export in memory
                }
                out.flush();
                return out.checkError() ? 1 : 0;
            }
            JsonNode body;
            try (InputStream in = response.body()) {
                body = JSON.readTree(in);
            }
            if (body == null) {
                throw new IOException("empty answer");
            }
            return show(r, body, response.statusCode(), json, out, err);
        } catch (IOException e) {
            err.println("relay suppression: no usable answer from the relay's admin API at " + base + ": " + e
                    + " (is the relay running? --url or http.listen name it)");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("relay suppression: interrupted");
            return 1;
        }
    }

    private static int show(Request r, JsonNode body, int status, boolean json, PrintStream out, PrintStream err) {
        if (json) {
            out.println(body.toString());
        }
        if (status / 100 != 2) {
            err.println("relay suppression: " + QueueCommand.text(body, "error") + " (HTTP " + status + ")");
            return 1;
        }
        if (json) {
            return 0;
        }
        switch (r.command()) {
            case "add" -> {
                JsonNode e = body.get("entry");
                out.println(QueueCommand.text(body, "change") + ": " + QueueCommand.text(e, "address") + " (scope "
                        + QueueCommand.text(e, "scope") + ", " + QueueCommand.text(e, "reason") + " since "
                        + QueueCommand.text(e, "created_at") + ")");
            }
            case "remove" -> out.println("removed: " + QueueCommand.text(body, "address") + " (scope "
                    + QueueCommand.text(body, "scope") + ")");
            case "show" -> out.print(table(body.get("entries")));
            default -> {
                JsonNode items = body.get("suppressions");
                out.print(items.isEmpty() ? "no entries\n" : table(items));
                JsonNode next = body.get("next_cursor");
                if (next != null && !next.isNull()) {
                    out.println("more: relay suppression list --cursor " + next.asText() + " (same filters)");
                }
            }
        }
        return 0;
    }

    private static String table(JsonNode entries) {
        Table t = new Table("ADDRESS", "SCOPE", "REASON", "CATEGORY", "SINCE", "EXPIRES", "BY", "DETAIL");
        for (JsonNode e : entries) {
            t.row(QueueCommand.text(e, "address"), QueueCommand.text(e, "scope"), QueueCommand.text(e, "reason"),
                    QueueCommand.text(e, "category"), QueueCommand.text(e, "created_at"),
                    QueueCommand.text(e, "expires_at"), QueueCommand.text(e, "created_by"),
                    QueueCommand.text(e, "detail"));
        }
        return t.render();
    }
}
