package dev.relay.engine.outcomes;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * {@code relay bounces check [FILE]}: validates a bounce rules file offline exactly as the relay would load it
 * (layered over the shipped file); without FILE, the one named by {@code bounces.rules}. Exit 0 with a summary and
 * the rules in the order they are tried, 1 with the error (file, key, value, reason).
 * {@code relay bounces classify 'REPLY TEXT'}: classifies one reply with the rules in force ({@code bounces.rules}
 * over the shipped file) and prints category, class, implied status and the deciding rule; exit 0, 1 when the
 * rules file is invalid. 2 on a usage error.
 */
public final class BouncesCommand {
    private BouncesCommand() {
    }

    public static int run(String[] args, RelayConfig config, PrintStream out, PrintStream err) {
        if (args.length >= 1 && args[0].equals("check") && args.length <= 2) {
            return check(args.length == 2 ? Path.of(args[1]) : config.bounces().rulesFile(), out, err);
        }
        if (args.length == 2 && args[0].equals("classify")) {
            return classify(args[1], config.bounces().rulesFile(), out, err);
        }
        err.println("usage: relay bounces check [FILE]\n       relay bounces classify 'REPLY TEXT'");
        return 2;
    }

    /** The rules in force with {@code file}, or null after printing why they cannot be loaded. */
    private static @Nullable BounceRules loadOrReport(@Nullable Path file, PrintStream err) {
        try {
            return load(file);
        } catch (ConfigException e) {
            err.println("relay: " + e.getMessage());
            return null;
        }
    }

    private static int check(@Nullable Path file, PrintStream out, PrintStream err) {
        BounceRules rules = loadOrReport(file, err);
        if (rules == null) {
            return 1;
        }
        out.println((file == null ? "shipped " + BounceRulesFile.SHIPPED : file) + ": ok, " + rules.summary());
        for (BounceRule r : rules.rules()) {
            out.println("  " + r.name() + ": " + (r.code() == null ? "" : "code " + r.code() + ", ")
                    + (r.status() == null ? "" : "status " + r.status() + ", ")
                    + (r.match() == null ? "" : "match /" + r.match().pattern() + "/, ")
                    + "-> " + r.category().key() + (r.bounceClass() == null ? "" : " " + r.bounceClass().key()));
        }
        return 0;
    }

    private static int classify(String reply, @Nullable Path file, PrintStream out, PrintStream err) {
        BounceRules rules = loadOrReport(file, err);
        if (rules == null) {
            return 1;
        }
        ReplyText parsed = ReplyText.parse(reply);
        Classification c = rules.classify(parsed.code(), parsed.status(), parsed.text());
        out.println("category: " + c.category().key() + " (" + c.category().description() + ")");
        out.println("class:    " + c.bounceClass().key());
        out.println("implied:  " + c.category().implied());
        out.println("rule:     " + c.rule());
        out.println("read as:  code " + (parsed.code() == 0 ? "none" : parsed.code()) + ", status "
                + (parsed.status() == null ? "none" : parsed.status()) + ", text \"" + parsed.text() + "\"");
        return 0;
    }

    private static BounceRules load(@Nullable Path file) {
        return file == null ? BounceRules.shipped() : ReloadingBounceRules.check(file);
    }
}
