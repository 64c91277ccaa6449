package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminCommandLine.Parsed;
import dev.relay.engine.admin.AdminCommandLine.Usage;
import dev.relay.engine.config.RelayConfig;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay system dkim ...}: DKIM keys through the admin API, found and authenticated like {@code relay queue}.
 * {@code generate} prints the TXT record(s) to publish exactly as a zone file line; {@code list} shows a domain's
 * keys with their records; {@code retire} stops a key signing at a time. Exit codes: 0 done, 1 failed, 2 usage.
 */
public final class DkimCommand {
    static final String USAGE = """
            usage: relay system dkim generate DOMAIN [--selector S] [--algorithm rsa|ed25519|both] [--active-from T]
                   relay system dkim list DOMAIN
                   relay system dkim retire DOMAIN SELECTOR [--at T] [--published-until T]
            generate: both (the default) makes an Ed25519 and an RSA-2048 key, selectors S-ed25519 and S-rsa
                      (default S: s and the year and month, e.g. s202612); prints the DNS TXT records to publish
            T: a UTC time like 2026-12-31T00:00:00Z (default: now); a retired key's record should stay published
               until --published-until (default: 7 days after --at, past the retry window)
            options: --json  --url http://HOST:PORT  --token-file FILE  --config FILE""";
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "generate", Set.of("--selector", "--algorithm", "--active-from"),
            "list", Set.of(),
            "retire", Set.of("--at", "--published-until"));
    private static final Set<String> OPTIONS = Set.of("--url", "--token-file", "--selector", "--algorithm",
            "--active-from", "--at", "--published-until");
    private static final ObjectMapper JSON = new ObjectMapper();

    private DkimCommand() {}

    record Request(String method, String path, @Nullable ObjectNode body, String command) {}

    /** {@code args}: what follows {@code relay system}; may start with {@code dkim}. */
    public static int run(String[] args, RelayConfig config, Map<String, String> env, PrintStream out,
                          PrintStream err) {
        return AdminCommandLine.run("relay system dkim", USAGE, args, config, env, out, err, a -> AdminCommandLine.parse("dkim", a, OPTIONS, ALLOWED), p -> {
            Request request = request(p);
            return (base, token, actor) -> call(base, token, actor, request, p.json(), out, err);
        });
    }

    static Request request(Parsed p) {
        Map<String, String> o = p.options();
        List<String> a = p.arguments();
        switch (p.command()) {
            case "generate": {
                arguments(p, 1, "DOMAIN");
                ObjectNode body = JSON.createObjectNode();
                putIf(body, "selector", o.get("--selector"));
                String algorithm = o.get("--algorithm");
                if (algorithm != null) {
                    DkimApi.algorithms(algorithm); // a usage error before any request
                    body.put("algorithm", algorithm);
                }
                putIf(body, "active_from", time(o.get("--active-from"), "--active-from"));
                return new Request("POST", "dkim/" + encode(a.get(0)) + "/keys", body, p.command());
            }
            case "list":
                arguments(p, 1, "DOMAIN");
                return new Request("GET", "dkim/" + encode(a.get(0)) + "/keys", null, p.command());
            case "retire": {
                arguments(p, 2, "DOMAIN SELECTOR");
                ObjectNode body = JSON.createObjectNode();
                putIf(body, "at", time(o.get("--at"), "--at"));
                putIf(body, "published_until", time(o.get("--published-until"), "--published-until"));
                return new Request("POST", "dkim/" + encode(a.get(0)) + "/keys/" + encode(a.get(1)) + "/retire",
                        body, p.command());
            }
            default:
                throw new Usage("unknown dkim command '" + p.command() + "'");
        }
    }

    private static void arguments(Parsed p, int count, String what) {
        if (p.arguments().size() != count) {
            throw new Usage("'dkim " + p.command() + "' takes " + what + ", got " + p.arguments().size()
                    + " argument(s)");
        }
    }

    private static @Nullable String time(@Nullable String text, String option) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text).toString();
        } catch (DateTimeParseException e) {
            throw new Usage(option + " must be a UTC time like 2026-12-31T00:00:00Z, was '" + text + "'");
        }
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
        return AdminClient.call("relay system dkim", base, token, actor, r.method(), r.path(), r.body(), json, out, err,
                body -> show(r, body, out));
    }

    /** The table of a 2xx answer. */
    private static int show(Request r, JsonNode body, PrintStream out) {
        switch (r.command()) {
            case "generate" -> {
                for (JsonNode key : body.get("keys")) {
                    out.println("; " + QueueCommand.text(key, "algorithm") + " key, selector "
                            + QueueCommand.text(key, "selector") + ", signs from "
                            + QueueCommand.text(key, "active_from"));
                }
                if (!body.path("sealed").asBoolean(true)) {
                    out.println("; warning: dkim.key_file is not set, the private keys are stored unencrypted");
                }
                out.println("; publish in DNS before the keys sign (a verifier without the record fails them):");
                for (JsonNode key : body.get("keys")) {
                    out.println(QueueCommand.text(key.get("dns"), "zone"));
                }
            }
            case "list" -> {
                Table t = new Table("SELECTOR", "ALGORITHM", "ACTIVE FROM", "ACTIVE UNTIL", "PUBLISH UNTIL",
                        "ENCRYPTED");
                for (JsonNode key : body.get("keys")) {
                    t.row(QueueCommand.text(key, "selector"), QueueCommand.text(key, "algorithm"),
                            QueueCommand.text(key, "active_from"), QueueCommand.text(key, "active_until"),
                            QueueCommand.text(key, "published_until"), QueueCommand.text(key, "encrypted"));
                }
                out.print(body.get("keys").isEmpty() ? "no keys\n" : t.render());
                for (JsonNode key : body.get("keys")) {
                    out.println(QueueCommand.text(key.get("dns"), "zone"));
                }
            }
            default -> {
                JsonNode key = body.get("key");
                out.println("retired: " + QueueCommand.text(key, "selector") + " of "
                        + QueueCommand.text(key, "domain") + " signs until " + QueueCommand.text(key, "active_until")
                        + "; keep its DNS record published until " + QueueCommand.text(key, "published_until"));
            }
        }
        return 0;
    }
}
