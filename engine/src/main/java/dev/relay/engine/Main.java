package dev.relay.engine;

import dev.relay.engine.admin.QueueCommand;
import dev.relay.engine.admin.DkimCommand;
import dev.relay.engine.admin.SuppressionCommand;
import dev.relay.engine.admin.SystemCommand;
import dev.relay.engine.admin.WebhookCommand;
import dev.relay.engine.outcomes.BouncesCommand;
import dev.relay.engine.shaping.ShapingCommand;
import dev.relay.engine.sink.SinkCommand;

import dev.relay.engine.auth.UserCommand;
import dev.relay.engine.sink.SinkCommand;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay run [--config FILE]}, {@code relay user add|list|remove ...}, {@code relay shaping check [FILE]},
 * {@code relay bounces check|classify ...}, {@code relay sink ...}, {@code relay queue ...} and
 * {@code relay suppression ...}, {@code relay system ...} and {@code relay webhook ...}. Exit codes: 0 ok, 1 runtime
 * failure, 2 configuration or usage error.
 */
public final class Main {
    static final int EXIT_CONFIG = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        return run(args, System.getenv(), System.out, System.err);
    }

    /** The entry point with its environment and output streams given (tests drive the CLI through it). */
    static int run(String[] args, java.util.Map<String, String> env, java.io.PrintStream out,
                   java.io.PrintStream err) {
        String command = args.length == 0 ? "run" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        Path configFile;
        RelayConfig config;
        try {
            configFile = configFile(rest);
            config = RelayConfig.load(configFile, env);
        } catch (ConfigException e) {
            err.println("relay: " + e.getMessage());
            return EXIT_CONFIG;
        } catch (IllegalArgumentException e) {
            err.println("relay: " + e.getMessage());
            return EXIT_CONFIG;
        }
        switch (command) {
            case "run":
                return runRelay(config);
            case "shaping":
                return ShapingCommand.run(withoutConfigOption(rest), config, System.out, System.err);
            case "bounces":
                return BouncesCommand.run(withoutConfigOption(rest), config, out, err);
            case "sink":
                return SinkCommand.run(withoutConfigOption(rest), System.out, System.err);
            case "queue":
                return QueueCommand.run(withoutConfigOption(rest), config, env, out, err);
            case "suppression":
                return SuppressionCommand.run(withoutConfigOption(rest), config, env, out, err);
            case "system":
                // `relay system dkim ...` is DKIM keys'; the other `relay system` subcommands are connected systems'
                if (rest.length > 0 && rest[0].equals("dkim")) {
                    return DkimCommand.run(withoutConfigOption(Arrays.copyOfRange(rest, 1, rest.length)), config,
                            env, out, err);
                }
                return SystemCommand.run(withoutConfigOption(rest), config, env, out, err);
            case "webhook":
                return WebhookCommand.run(withoutConfigOption(rest), config, env, out, err);
            case "stats":
            case "history":
                // the same client as `relay queue`, whose parser takes the subcommand first
                return QueueCommand.run(withoutConfigOption(args), config, env, out, err);
            case "user":
                return UserCommand.run(withoutConfigOption(rest), config, System.in, System.out, System.err,
                        System.console());
            case "help":
            case "--help":
            case "-h":
                usage();
                return 0;
            default:
                System.err.println("relay: unknown command '" + command + "'");
                usage();
                return EXIT_CONFIG;
        }
    }

    private static int runRelay(RelayConfig config) {
        Logging.apply(config.log());
        RelayServer relay;
        try {
            relay = RelayServer.start(config);
        } catch (ConfigException e) {
            System.err.println("relay: " + e.getMessage());
            return EXIT_CONFIG;
        } catch (RuntimeException e) {
            System.err.println("relay: failed to start: " + e);
            return 1;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        // SIGTERM (rolling restarts, systemd) and SIGINT (Ctrl-C) drain and then exit 0; a JVM shutdown hook alone
        // would exit with 143/130. The hook stays for every other way the JVM may end.
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> stopRequested.countDown());
            } catch (IllegalArgumentException e) {
                // signal not available (or ignored by the parent shell): the shutdown hook covers it
            }
        }
        Thread hook = new Thread(relay::close, "relay-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        relay.close();
        Runtime.getRuntime().removeShutdownHook(hook);
        return 0;
    }

    /** {@code --config FILE} if given; else {@code relay.yaml} in the working directory if present; else none. */
    private static @Nullable Path configFile(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") || args[i].equals("-c")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--config needs a file name");
                }
                return Path.of(args[i + 1]);
            }
            if (args[i].startsWith("--config=")) {
                return Path.of(args[i].substring("--config=".length()));
            }
        }
        Path local = Path.of("relay.yaml");
        return Files.exists(local) ? local : null;
    }

    private static String[] withoutConfigOption(String[] args) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") || args[i].equals("-c")) {
                i++;
            } else if (!args[i].startsWith("--config=")) {
                out.add(args[i]);
            }
        }
        return out.toArray(String[]::new);
    }

    private static void usage() {
        System.err.println("""
                usage: relay run [--config FILE]
                       relay user add NAME [--priority transactional|bulk] [--config FILE]
                       relay user list [--config FILE]
                       relay user remove NAME [--config FILE]
                       relay shaping check [FILE] [--config FILE]   (validate a shaping file; default: delivery.shaping)
                       relay bounces check [FILE] [--config FILE]   (validate a bounce rules file; default: bounces.rules)
                       relay bounces classify 'REPLY TEXT' [--config FILE]   (category and class of one reply)
                       relay sink [--listen HOST:PORT] [--dir DIRECTORY]   (a local SMTP sink for trying delivery)
                       relay queue summary|list|show|flush|suspend|resume|bounce|delete ...   (queue administration;
                                                                  `relay queue help` lists the arguments)
                       relay system add|enable|disable|list|show|credential|domain|import ...
                                                                 (connected systems; `relay system help`)
                       relay system dkim generate|list|retire ...        (DKIM keys and their DNS records;
                                                                  `relay system dkim help` lists the arguments)
                       relay suppression add|remove|show|list|export ...   (the suppression list;
                                                                  `relay suppression help` lists the arguments)
                       relay webhook add|list|remove|dead|replay ...   (webhook endpoints and dead letters;
                                                                  `relay webhook help` lists the arguments)
                       relay stats [--sender S] [--since 24h] [--by hour|day]   (counts per sender)
                       relay history ADDRESS|ID [--limit N] [--before CURSOR]   (events, newest first)
                """);
    }
}
