package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminCommandLine.Parsed;
import dev.relay.engine.admin.AdminCommandLine.Usage;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.Durations;
import dev.relay.engine.config.HostPort;
import dev.relay.engine.config.RelayConfig;
import dev.relay.storage.MessageId;
import dev.relay.storage.QueueEntry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay queue ...}: the admin API from the command line, like Postfix's postqueue/postsuper. Tables for people,
 * {@code --json} for scripts (the API's document as is). The server is {@code --url}, else the configured
 * {@code http.listen}; the token is {@code --token-file}, else {@code $RELAY_ADMIN_TOKEN}, else the configured
 * {@code http.admin_token_file}. Exit codes: 0 done, 1 failed (including recipients left in flight by a bounce or
 * delete), 2 usage or configuration error.
 */
public final class QueueCommand {
    static final String USAGE = """
            usage: relay queue summary                                   recipients by site and priority
                   relay queue list [--domain D] [--site S] [--state queued|deferred|in_flight] [--limit N]
                   relay queue show ID                                   a message: recipients, attempts, events
                   relay queue flush [DOMAIN]                            retry now (all, or one domain)
                   relay queue suspend SITE [--for DURATION] [--reason TEXT]
                   relay queue resume SITE                               lift a suspension; its mail is due now
                   relay queue bounce ID [--reason TEXT]                 give up: DSN to the sender
                   relay queue delete ID                                 remove without a DSN
                   relay stats [--sender S] [--since 24h] [--by minute|hour|day] counts per sender, from the rollups
                   relay history ADDRESS|ID|<MESSAGE-ID> [--limit N] [--before CURSOR] events, newest first
            options: --json  --url http://HOST:PORT  --token-file FILE  --config FILE""";
    static final String TOKEN_ENV = "RELAY_ADMIN_TOKEN";
    private static final Set<String> OPTIONS = Set.of("--url", "--token-file", "--domain", "--site", "--state",
            "--limit", "--for", "--reason", "--sender", "--since", "--by", "--before");
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "summary", Set.of(), "list", Set.of("--domain", "--site", "--state", "--limit"), "show", Set.of(),
            "flush", Set.of(), "suspend", Set.of("--for", "--reason"), "resume", Set.of(),
            "bounce", Set.of("--reason"), "delete", Set.of(),
            "stats", Set.of("--sender", "--since", "--by"), "history", Set.of("--limit", "--before"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private QueueCommand() {}

    /** {@code args} may start with {@code queue}. */
    public static int run(String[] args, RelayConfig config, Map<String, String> env, PrintStream out,
                          PrintStream err) {
        List<String> words = List.of(args);
        if (words.contains("help") || words.contains("--help") || words.contains("-h")) {
            out.println(USAGE);
            return 0;
        }
        Request request;
        String token;
        try {
            Parsed p = parse(args);
            request = request(p);
            token = token(p.options().get("--token-file"), env, config);
            URI base = AdminCommandLine.baseUrl(p, config);
            return call(base, token, env.getOrDefault("USER", "admin"), request, p.json(), out, err);
        } catch (Usage e) {
            err.println("relay queue: " + e.getMessage());
            err.println(USAGE);
            return 2;
        } catch (ConfigException e) {
            err.println("relay queue: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            err.println("relay queue: " + e.getMessage());
            return 2;
        }
    }

    static Parsed parse(String[] args) {
        return AdminCommandLine.parse("queue", args, OPTIONS, ALLOWED);
    }

    /** One API call. */
    record Request(String method, String path, @Nullable ObjectNode body, String command) {}

    static Request request(Parsed p) {
        List<String> a = p.arguments();
        Map<String, String> o = p.options();
        switch (p.command()) {
            case "summary":
                arguments(p, 0, 0);
                return new Request("GET", "queue/summary", null, p.command());
            case "list": {
                arguments(p, 0, 0);
                StringBuilder query = new StringBuilder();
                if (o.containsKey("--state")) {
                    try {
                        QueueEntry.State.parse(o.get("--state"));
                    } catch (IllegalArgumentException e) {
                        throw new Usage(String.valueOf(e.getMessage()));
                    }
                }
                if (o.containsKey("--limit")) {
                    try {
                        AdminApi.limit(o.get("--limit"));
                    } catch (IllegalArgumentException e) {
                        throw new Usage(String.valueOf(e.getMessage()));
                    }
                }
                for (String name : List.of("domain", "site", "state", "limit")) {
                    String v = o.get("--" + name);
                    if (v != null) {
                        query.append(query.length() == 0 ? '?' : '&').append(name).append('=').append(encode(v));
                    }
                }
                return new Request("GET", "queue/recipients" + query, null, p.command());
            }
            case "show":
                arguments(p, 1, 1);
                return new Request("GET", "queue/messages/" + id(a.get(0)), null, p.command());
            case "flush": {
                arguments(p, 0, 1);
                ObjectNode body = JSON.createObjectNode();
                if (!a.isEmpty()) {
                    body.put("domain", a.get(0));
                }
                return new Request("POST", "queue/flush", body, p.command());
            }
            case "suspend": {
                arguments(p, 1, 1);
                ObjectNode body = JSON.createObjectNode();
                String forText = o.get("--for");
                if (forText != null) {
                    Duration d;
                    try {
                        d = Durations.parse(forText);
                    } catch (IllegalArgumentException e) {
                        throw new Usage("--for: " + e.getMessage());
                    }
                    if (d.isZero() || d.isNegative()) {
                        throw new Usage("--for must be a positive duration, e.g. 30m or 2h");
                    }
                    body.put("for", forText);
                }
                if (o.containsKey("--reason")) {
                    body.put("reason", o.get("--reason"));
                }
                return new Request("POST", "queue/sites/" + encode(a.get(0)) + "/suspend", body, p.command());
            }
            case "resume":
                arguments(p, 1, 1);
                return new Request("POST", "queue/sites/" + encode(a.get(0)) + "/resume", JSON.createObjectNode(),
                        p.command());
            case "bounce": {
                arguments(p, 1, 1);
                ObjectNode body = JSON.createObjectNode();
                if (o.containsKey("--reason")) {
                    body.put("reason", o.get("--reason"));
                }
                return new Request("POST", "queue/messages/" + id(a.get(0)) + "/bounce", body, p.command());
            }
            case "delete":
                arguments(p, 1, 1);
                return new Request("DELETE", "queue/messages/" + id(a.get(0)), null, p.command());
            case "stats": {
                arguments(p, 0, 0);
                if (o.containsKey("--since")) {
                    try {
                        Durations.parse(o.get("--since"));
                    } catch (IllegalArgumentException e) {
                        throw new Usage("--since: " + e.getMessage());
                    }
                }
                String by = o.get("--by");
                if (by != null && !by.equals("minute") && !by.equals("hour") && !by.equals("day")) {
                    throw new Usage("--by must be minute, hour or day, was '" + by + "'");
                }
                return new Request("GET", "stats" + query(o, "sender", "since", "by"), null, p.command());
            }
            case "history": {
                arguments(p, 1, 1);
                String key = a.get(0);
                // <...>: a Message-ID (it has an '@' too, like an address); else an address or our queue id
                String path = key.startsWith("<") ? "history/messages/" + encode(key)
                        : key.indexOf('@') > 0 ? "history/recipients/" + encode(key)
                        : "history/messages/" + id(key);
                return new Request("GET", path + query(o, "limit", "before"), null, p.command());
            }
            default:
                throw new Usage("unknown queue command '" + p.command() + "'");
        }
    }

    private static String query(Map<String, String> options, String... names) {
        StringBuilder query = new StringBuilder();
        for (String name : names) {
            String v = options.get("--" + name);
            if (v != null) {
                query.append(query.length() == 0 ? '?' : '&').append(name).append('=').append(encode(v));
            }
        }
        return query.toString();
    }

    private static void arguments(Parsed p, int min, int max) {
        int n = p.arguments().size();
        if (n < min || n > max) {
            throw new Usage("'queue " + p.command() + "' takes " + (min == max ? String.valueOf(min)
                    : min + " to " + max) + " argument" + (max == 1 ? "" : "s") + ", got " + n);
        }
    }

    private static String id(String text) {
        try {
            return MessageId.parse(text).toString();
        } catch (IllegalArgumentException e) {
            throw new Usage("not a queue id: '" + text + "' (" + e.getMessage() + ")");
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** The configured listener as a URL; a wildcard address is reached on loopback. */
    static String defaultUrl(HostPort listen) {
        String host = listen.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            host = "::1";
        }
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + listen.port();
    }

    static String token(@Nullable String tokenFile, Map<String, String> env, RelayConfig config) {
        if (tokenFile != null) {
            return AdminToken.readText(Path.of(tokenFile), "--token-file");
        }
        String fromEnv = env.get(TOKEN_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.strip();
        }
        Path configured = config.http().adminTokenFile();
        if (configured != null) {
            return AdminToken.readText(configured, "http.admin_token_file");
        }
        throw new ConfigException("http.admin_token_file", null, "no admin token: pass --token-file FILE, set "
                + TOKEN_ENV + ", or set http.admin_token_file in relay.yaml");
    }

    private static int call(URI base, String token, String actor, Request r, boolean json, PrintStream out,
                            PrintStream err) {
        URI uri = base.resolve(AdminApi.PREFIX + r.path());
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header(AdminApi.ACTOR_HEADER, actor)
                .header("Accept", "application/json");
        b = r.body() == null ? b.method(r.method(), HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json")
                        .method(r.method(), HttpRequest.BodyPublishers.ofString(r.body().toString()));
        HttpResponse<String> response;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            response = client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            err.println("relay queue: cannot reach the relay's admin API at " + base + ": " + e
                    + " (is the relay running? --url or http.listen name it)");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("relay queue: interrupted");
            return 1;
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            err.println("relay queue: " + uri + " answered HTTP " + response.statusCode() + " without JSON: "
                    + Table.clean(response.body()));
            return 1;
        }
        if (json) {
            out.println(body.toString());
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            err.println("relay queue: " + text(body, "error") + " (HTTP " + status + ")");
            if (!json && body.has("in_flight")) {
                err.print(QueueFormat.inFlight(body));
            }
            return 1;
        }
        return json ? QueueFormat.exitCode(r.command(), body) : QueueFormat.print(r.command(), body, out, err);
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? "-" : v.asText();
    }
}
