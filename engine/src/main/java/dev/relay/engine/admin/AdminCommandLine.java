package dev.relay.engine.admin;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line of the admin API's clients ({@code relay queue}, {@code relay suppression}, {@code relay stats}):
 * a subcommand, positional arguments, {@code --option value} or {@code --option=value}, and {@code --json}. Every
 * client names its options and which of them each subcommand takes; {@code --url} and {@code --token-file} go with
 * all of them.
 */
final class AdminCommandLine {
    /** Thrown for a usage error (exit 2). */
    static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message, null, false, false);
        }
    }

    /** The command line split into subcommand, positional arguments, options and {@code --json}. */
    record Parsed(String command, List<String> arguments, Map<String, String> options, boolean json) {}

    /** A client's request for one parsed command line, built before the token is read (usage errors first). */
    interface Action {
        Call prepare(Parsed p);
    }

    /** The prepared request, sent to the admin API at {@code base} as {@code actor}; returns the exit code. */
    interface Call {
        int send(java.net.URI base, String token, String actor);
    }

    private AdminCommandLine() {}

    /**
     * What every admin client does around its request: {@code help} prints {@code usage}; the command line is
     * parsed, the request prepared, the token and base URL resolved, then the call made. A usage error prints the
     * message and {@code usage} (exit 2), a configuration error the message (exit 2). {@code command} names the
     * client in error lines ({@code relay webhook}).
     */
    static int run(String command, String usage, String[] args, dev.relay.engine.config.RelayConfig config,
                   Map<String, String> env, java.io.PrintStream out, java.io.PrintStream err,
                   java.util.function.Function<String[], Parsed> parser, Action action) {
        List<String> words = List.of(args);
        if (words.contains("help") || words.contains("--help") || words.contains("-h")) {
            out.println(usage);
            return 0;
        }
        try {
            Parsed p = parser.apply(args);
            Call call = action.prepare(p);
            String token = QueueCommand.token(p.options().get("--token-file"), env, config);
            return call.send(baseUrl(p, config), token, env.getOrDefault("USER", "admin"));
        } catch (Usage e) {
            err.println(command + ": " + e.getMessage());
            err.println(usage);
            return 2;
        } catch (dev.relay.engine.config.ConfigException | IllegalArgumentException e) {
            err.println(command + ": " + e.getMessage());
            return 2;
        }
    }

    /** The admin API to call: {@code --url}, else the configured HTTP listener; a usage error when malformed. */
    static java.net.URI baseUrl(Parsed p, dev.relay.engine.config.RelayConfig config) {
        java.net.URI base = java.net.URI.create(p.options().getOrDefault("--url",
                QueueCommand.defaultUrl(config.http().listen())));
        if (base.getScheme() == null || base.getHost() == null) {
            throw new Usage("--url must be like http://127.0.0.1:8025, was " + base);
        }
        return base;
    }

    /**
     * @param noun    the client's name ({@code queue}); {@code args} may start with it
     * @param options every option taking a value
     * @param allowed per subcommand, the options it takes (besides {@code --url} and {@code --token-file})
     */
    static Parsed parse(String noun, String[] args, Set<String> options, Map<String, Set<String>> allowed) {
        return parse(noun, args, options, Set.of(), allowed);
    }

    /** As above with {@code flags}: options without a value ({@code --subdomains}), given as {@code "true"}. */
    static Parsed parse(String noun, String[] args, Set<String> options, Set<String> flags,
                        Map<String, Set<String>> allowed) {
        List<String> rest = new ArrayList<>(List.of(args));
        if (!rest.isEmpty() && rest.get(0).equals(noun)) {
            rest.remove(0);
        }
        Map<String, String> given = new HashMap<>();
        List<String> positional = new ArrayList<>();
        boolean json = false;
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (a.equals("--json")) {
                json = true;
            } else if (flags.contains(a) && value == null) {
                given.put(a, "true");
            } else if (options.contains(a)) {
                if (value == null) {
                    if (i + 1 >= rest.size()) {
                        throw new Usage(a + " needs a value");
                    }
                    value = rest.get(++i);
                }
                given.put(a, value);
            } else if (a.startsWith("-")) {
                throw new Usage("unknown option '" + a + "'");
            } else {
                positional.add(a);
            }
        }
        if (positional.isEmpty()) {
            throw new Usage("which " + noun + " command?");
        }
        String command = positional.remove(0);
        Set<String> takes = allowed.get(command);
        if (takes == null) {
            throw new Usage("unknown " + noun + " command '" + command + "'");
        }
        for (String o : given.keySet()) {
            if (!takes.contains(o) && !o.equals("--url") && !o.equals("--token-file")) {
                throw new Usage(o + " does not apply to '" + noun + " " + command + "'");
            }
        }
        return new Parsed(command, positional, given, json);
    }
}
