package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminCommandLine.Parsed;
import dev.relay.engine.admin.AdminCommandLine.Usage;
import dev.relay.engine.auth.AuthUser;
import dev.relay.engine.auth.UsersFile;
import dev.relay.engine.config.RelayConfig;
import dev.relay.storage.SystemRecords;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay system ...}: connected systems through the admin API, found and authenticated like {@code relay queue}
 * ({@link QueueCommand}). Tables for people, {@code --json} for scripts. {@code credential add} prints the generated
 * password once: the relay keeps only its hash. {@code import FILE} reads a users file here and sends its users
 * (hashes, never passwords) to the relay. Exit codes: 0 done, 1 failed (or not found), 2 usage.
 */
public final class SystemCommand {
    static final String USAGE = """
            usage: relay system add NAME [--lane transactional|bulk] [--notes TEXT]
                   relay system set NAME [--lane transactional|bulk] [--notes TEXT]
                                   [--dkim-sign-as-system-domain true|false] [--verp on|off|default]
                   relay system enable|disable NAME
                   relay system list
                   relay system show NAME
                   relay system credential add NAME                 prints a new username and password, once
                   relay system credential revoke NAME USERNAME
                   relay system domain add NAME DOMAIN [--subdomains] [--list-help https:...|mailto:...]
                   relay system domain remove NAME DOMAIN
                   relay system import USERS_FILE                   a users file (relay user add), idempotent
            options: --json  --url http://HOST:PORT  --token-file FILE  --config FILE""";
    static final Map<String, Set<String>> ALLOWED = Map.of(
            "add", Set.of("--lane", "--notes"),
            "set", Set.of("--lane", "--notes", "--dkim-sign-as-system-domain", "--verp"),
            "enable", Set.of(),
            "disable", Set.of(),
            "list", Set.of(),
            "show", Set.of(),
            "credential", Set.of(),
            "domain", Set.of("--subdomains", "--list-help"),
            "import", Set.of());
    static final Set<String> OPTIONS = Set.of("--url", "--token-file", "--lane", "--notes", "--list-help",
            "--dkim-sign-as-system-domain", "--verp");
    static final Set<String> FLAGS = Set.of("--subdomains");
    private static final ObjectMapper JSON = new ObjectMapper();

    private SystemCommand() {}

    /** One call of the admin API; {@code what} names the subcommand for the output. */
    record Request(String method, String path, @Nullable ObjectNode body, String what) {}

    /** {@code args} may start with {@code system}. */
    public static int run(String[] args, RelayConfig config, Map<String, String> env, PrintStream out,
                          PrintStream err) {
        return AdminCommandLine.run("relay system", USAGE, args, config, env, out, err, a -> AdminCommandLine.parse("system", a, OPTIONS, FLAGS, ALLOWED), p -> {
            Request request = request(p);
            return (base, token, actor) -> call(base, token, actor, request, p.json(), out, err);
        });
    }

    static Request request(Parsed p) {
        List<String> a = p.arguments();
        Map<String, String> o = p.options();
        switch (p.command()) {
            case "add": {
                String name = SystemRecords.checkName(one(p, a));
                String lane = lane(o.get("--lane"));
                ObjectNode body = JSON.createObjectNode().put("name", name);
                putIf(body, "lane", lane);
                putIf(body, "notes", o.get("--notes"));
                return new Request("POST", "systems", body, "add");
            }
            case "set": {
                String name = SystemRecords.checkName(one(p, a));
                if (o.isEmpty()) {
                    throw new Usage("'system set' needs --lane, --notes, --dkim-sign-as-system-domain or --verp");
                }
                ObjectNode body = JSON.createObjectNode();
                putIf(body, "lane", lane(o.get("--lane")));
                putIf(body, "notes", o.get("--notes"));
                String sign = o.get("--dkim-sign-as-system-domain");
                if (sign != null) {
                    if (!sign.equals("true") && !sign.equals("false")) {
                        throw new Usage("--dkim-sign-as-system-domain must be true or false, was '" + sign + "'");
                    }
                    body.put("dkim_sign_as_system_domain", Boolean.parseBoolean(sign));
                }
                String verp = o.get("--verp");
                if (verp != null) {
                    if (!verp.equals("on") && !verp.equals("off") && !verp.equals("default")) {
                        throw new Usage("--verp must be on, off or default, was '" + verp + "'");
                    }
                    body.put("verp", verp);
                }
                return new Request("POST", "systems/" + encode(name), body, "change");
            }
            case "enable":
            case "disable":
                return new Request("POST", "systems/" + encode(SystemRecords.checkName(one(p, a))) + "/"
                        + p.command(), null, p.command());
            case "list":
                if (!a.isEmpty()) {
                    throw new Usage("'system list' takes no arguments");
                }
                return new Request("GET", "systems", null, "list");
            case "show":
                return new Request("GET", "systems/" + encode(SystemRecords.checkName(one(p, a))), null, "show");
            case "credential":
                if (a.size() == 2 && a.get(0).equals("add")) {
                    return new Request("POST", "systems/" + encode(SystemRecords.checkName(a.get(1)))
                            + "/credentials", null, "credential add");
                }
                if (a.size() == 3 && a.get(0).equals("revoke")) {
                    return new Request("DELETE", "systems/" + encode(SystemRecords.checkName(a.get(1)))
                            + "/credentials/" + encode(SystemRecords.checkUsername(a.get(2))), null, "change");
                }
                throw new Usage("use 'system credential add NAME' or 'system credential revoke NAME USERNAME'");
            case "domain": {
                boolean add = a.size() == 3 && a.get(0).equals("add");
                boolean remove = a.size() == 3 && a.get(0).equals("remove");
                if (!add && !remove) {
                    throw new Usage("use 'system domain add NAME DOMAIN' or 'system domain remove NAME DOMAIN'");
                }
                String system = encode(SystemRecords.checkName(a.get(1)));
                String domain = SystemRecords.checkDomain(a.get(2));
                if (remove) {
                    if (!o.isEmpty()) {
                        throw new Usage("'system domain remove' takes no options");
                    }
                    return new Request("DELETE", "systems/" + system + "/domains/" + encode(domain), null, "change");
                }
                String help = o.get("--list-help");
                ObjectNode body = JSON.createObjectNode().put("domain", domain)
                        .put("include_subdomains", o.containsKey("--subdomains"));
                if (help != null) {
                    body.put("list_help", SystemRecords.checkListHelp(help));
                }
                return new Request("POST", "systems/" + system + "/domains", body, "change");
            }
            case "import": {
                Path file = Path.of(one(p, a));
                ObjectNode body = JSON.createObjectNode();
                ArrayNode users = body.putArray("users");
                for (AuthUser u : UsersFile.read(file).values()) {
                    ObjectNode user = users.addObject().put("name", u.name()).put("password_hash", u.hash().encode())
                            .put("priority", u.priority());
                    ArrayNode domains = user.putArray("domains");
                    u.domains().forEach(domains::add);
                }
                return new Request("POST", "systems/import", body, "import");
            }
            default:
                throw new Usage("unknown system command '" + p.command() + "'");
        }
    }

    private static String one(Parsed p, List<String> a) {
        if (a.size() != 1) {
            throw new Usage("'system " + p.command() + "' takes one argument, got " + a.size());
        }
        return a.get(0);
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
        return AdminClient.call("relay system", base, token, actor, r.method(), r.path(), r.body(), json, out, err,
                body -> show(r, body, out));
    }

    /** The table of a 2xx answer. */
    private static int show(Request r, JsonNode body, PrintStream out) {
        switch (r.what()) {
            case "list" -> {
                Table t = new Table("SYSTEM", "ACTIVE", "LANE", "CREDENTIALS>", "DOMAINS");
                for (JsonNode s : body.get("systems")) {
                    t.row(QueueCommand.text(s, "name"), s.get("active").asBoolean() ? "yes" : "no",
                            QueueCommand.text(s, "lane"), s.get("credentials").asLong(), join(s.get("domains")));
                }
                out.print(body.get("systems").isEmpty() ? "no systems\n" : t.render());
            }
            case "show" -> {
                out.println("system:  " + QueueCommand.text(body, "name") + (body.get("active").asBoolean() ? ""
                        : " (disabled)"));
                out.println("lane:    " + QueueCommand.text(body, "lane"));
                out.println("notes:   " + QueueCommand.text(body, "notes"));
                out.println("dkim:    " + (body.path("dkim_sign_as_system_domain").asBoolean()
                        ? "signs as its first domain with a key when the From domain has none"
                        : "From domain's own keys only"));
                out.println("verp:    " + (body.hasNonNull("verp") ? QueueCommand.text(body, "verp") : "default")
                        + ("default".equals(body.path("verp").asText("default")) ? " (bounces.verp.enabled)" : ""));
                out.println("created: " + QueueCommand.text(body, "created_at"));
                Table c = new Table("USERNAME", "CREATED", "REVOKED");
                body.get("credentials").forEach(x -> c.row(QueueCommand.text(x, "username"),
                        QueueCommand.text(x, "created_at"), QueueCommand.text(x, "revoked_at")));
                out.print(body.get("credentials").isEmpty() ? "no credentials\n" : c.render());
                Table d = new Table("DOMAIN", "SUBDOMAINS", "LIST-HELP");
                body.get("domains").forEach(x -> d.row(QueueCommand.text(x, "domain"),
                        x.get("include_subdomains").asBoolean() ? "yes" : "no", QueueCommand.text(x, "list_help")));
                out.print(body.get("domains").isEmpty() ? "no sending domains\n" : d.render());
            }
            case "credential add" -> {
                out.println("system:   " + QueueCommand.text(body, "system"));
                out.println("username: " + QueueCommand.text(body, "username"));
                out.println("password: " + QueueCommand.text(body, "password"));
                out.println("(the password is shown this once; the relay keeps only its hash)");
            }
            case "import" -> body.get("imported").forEach(i -> out.println(QueueCommand.text(i, "summary")));
            default -> out.println(QueueCommand.text(body, "result"));
        }
        return 0;
    }

    private static @Nullable String lane(@Nullable String lane) {
        if (lane != null && !lane.equals("transactional") && !lane.equals("bulk")) {
            throw new Usage("--lane must be transactional or bulk, was '" + lane + "'");
        }
        return lane;
    }

    private static String join(JsonNode array) {
        StringBuilder b = new StringBuilder();
        array.forEach(x -> b.append(b.length() == 0 ? "" : ",").append(x.asText()));
        return b.length() == 0 ? "-" : b.toString();
    }
}
