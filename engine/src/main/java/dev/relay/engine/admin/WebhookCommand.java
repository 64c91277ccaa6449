package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminCommandLine.Parsed;
import dev.relay.engine.admin.AdminCommandLine.Usage;
import dev.relay.engine.config.RelayConfig;
import java.io.PrintStream;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay webhook ...}: webhook endpoints and their dead letters through the admin API, found and
 * authenticated like {@code relay queue} ({@link QueueCommand}). Tables for people, {@code --json} for scripts.
 * Exit codes: 0 done, 1 failed (or not found), 2 usage.
 */
public final class WebhookCommand {
    static final String USAGE = """
            usage: relay webhook add --sender S --url URL [--kinds delivered,bounced,...] [--max-in-flight N]
                                                      prints the endpoint's signing secret, once
                   relay webhook list                 endpoints with their pending and dead-lettered events
                   relay webhook remove ID            the endpoint and its undelivered events
                   relay webhook dead [ID] [--limit N]   dead letters (of one endpoint)
                   relay webhook replay ID            the endpoint's dead letters back to pending
            sender: an AUTH user (or connected system) name, or * for every sender
            kinds: accepted, delivered, deferred, bounced, expired, held (default: all but held)
            options: --json  --url http://HOST:PORT  --token-file FILE  --config FILE""";
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "add", Set.of("--sender", "--url", "--kinds", "--max-in-flight"),
            "list", Set.of(),
            "remove", Set.of(),
            "dead", Set.of("--limit"),
            "replay", Set.of());
    private static final Set<String> OPTIONS = Set.of("--url", "--token-file", "--sender", "--kinds",
            "--max-in-flight", "--limit");
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebhookCommand() {}

    record Request(String method, String path, @Nullable ObjectNode body, String command) {}

    /** {@code args} may start with {@code webhook}. */
    public static int run(String[] args, RelayConfig config, Map<String, String> env, PrintStream out,
                          PrintStream err) {
        return AdminCommandLine.run("relay webhook", USAGE, args, config, env, out, err, WebhookCommand::parse, p -> {
            Request request = request(p);
            return (base, token, actor) -> call(base, token, actor, request, p.json(), out, err);
        });
    }

    static Parsed parse(String[] args) {
        return AdminCommandLine.parse("webhook", args, OPTIONS, ALLOWED);
    }

    static Request request(Parsed p) {
        Map<String, String> o = p.options();
        List<String> args = p.arguments();
        switch (p.command()) {
            case "add" -> {
                none(p);
                // checked here too, so a typo is a usage error before any request
                ObjectNode body = JSON.createObjectNode().put("sender", WebhooksApi.sender(o.get("--sender")))
                        .put("url", WebhooksApi.url(o.get("--url")));
                String kinds = o.get("--kinds");
                if (kinds != null) {
                    WebhooksApi.kinds(JSON.getNodeFactory().textNode(kinds));
                    body.put("kinds", kinds);
                }
                String max = o.get("--max-in-flight");
                if (max != null) {
                    try {
                        body.put("max_in_flight", Integer.parseInt(max));
                    } catch (NumberFormatException e) {
                        throw new Usage("--max-in-flight must be a number from 1 to 64, was '" + max + "'");
                    }
                }
                return new Request("POST", "webhooks", body, "add");
            }
            case "list" -> {
                none(p);
                return new Request("GET", "webhooks", null, "list");
            }
            case "remove" -> {
                return new Request("DELETE", "webhooks/" + id(p), null, "remove");
            }
            case "replay" -> {
                return new Request("POST", "webhooks/" + id(p) + "/replay", null, "replay");
            }
            case "dead" -> {
                if (args.size() > 1) {
                    throw new Usage("'webhook dead' takes at most one endpoint id");
                }
                String limit = o.get("--limit");
                if (limit != null) {
                    AdminApi.limit(limit);
                }
                StringBuilder q = new StringBuilder();
                if (args.size() == 1) {
                    q.append("?endpoint=").append(id(p));
                }
                if (limit != null) {
                    q.append(q.length() == 0 ? '?' : '&').append("limit=").append(limit);
                }
                return new Request("GET", "webhooks/dead" + q, null, "dead");
            }
            default -> throw new Usage("unknown webhook command '" + p.command() + "'");
        }
    }

    private static void none(Parsed p) {
        if (!p.arguments().isEmpty()) {
            throw new Usage("'webhook " + p.command() + "' takes no arguments, got " + p.arguments());
        }
    }

    private static long id(Parsed p) {
        List<String> args = p.arguments();
        if (args.size() != 1) {
            throw new Usage("'webhook " + p.command() + "' takes one endpoint id");
        }
        try {
            return Long.parseLong(args.get(0));
        } catch (NumberFormatException e) {
            throw new Usage("an endpoint id is a number (see relay webhook list), not '" + args.get(0) + "'");
        }
    }

    private static int call(URI base, String token, String actor, Request r, boolean json, PrintStream out,
                            PrintStream err) {
        return AdminClient.call("relay webhook", base, token, actor, r.method(), r.path(), r.body(), json, out, err,
                body -> show(r, body, out));
    }

    /** The table of a 2xx answer. */
    private static int show(Request r, JsonNode body, PrintStream out) {
        switch (r.command()) {
            case "add" -> {
                JsonNode e = body.get("endpoint");
                out.println("endpoint " + QueueCommand.text(e, "id") + " added: sender "
                        + QueueCommand.text(e, "sender") + ", " + QueueCommand.text(e, "url") + ", kinds "
                        + kinds(e));
                out.println("secret: " + QueueCommand.text(e, "secret"));
                out.println("(shown only now: the receiver checks the Relay-Signature header with it;"
                        + " see README, Events, statistics and webhooks)");
            }
            case "list" -> {
                Table t = new Table("ID>", "SENDER", "URL", "KINDS", "MAX>", "PENDING>", "DEAD>", "CREATED");
                for (JsonNode e : body.get("endpoints")) {
                    t.row(QueueCommand.text(e, "id"), QueueCommand.text(e, "sender"), QueueCommand.text(e, "url"),
                            kinds(e), QueueCommand.text(e, "max_in_flight"), QueueCommand.text(e, "pending"),
                            QueueCommand.text(e, "dead"), QueueCommand.text(e, "created"));
                }
                out.print(t.isEmpty() ? "no webhook endpoints\n" : t.render());
            }
            case "remove" -> out.println("removed endpoint " + QueueCommand.text(body, "removed"));
            case "replay" -> out.println("endpoint " + QueueCommand.text(body, "endpoint") + ": "
                    + QueueCommand.text(body, "replayed") + " dead letters back to pending");
            default -> {
                Table t = new Table("ID>", "ENDPOINT>", "EVENT>", "EVENT AT", "SENDER", "ATTEMPTS>", "DEAD SINCE",
                        "LAST ERROR");
                for (JsonNode d : body.get("dead_letters")) {
                    t.row(QueueCommand.text(d, "id"), QueueCommand.text(d, "endpoint"), QueueCommand.text(d, "event"),
                            QueueCommand.text(d, "event_at"), QueueCommand.text(d, "sender"),
                            QueueCommand.text(d, "attempts"), QueueCommand.text(d, "dead_at"),
                            QueueCommand.text(d, "last_error"));
                }
                out.print(t.isEmpty() ? "no dead letters\n" : t.render());
            }
        }
        return 0;
    }

    private static String kinds(JsonNode endpoint) {
        StringBuilder b = new StringBuilder();
        for (JsonNode k : endpoint.get("kinds")) {
            b.append(b.length() == 0 ? "" : ",").append(k.asText());
        }
        return b.toString();
    }
}
