package dev.relay.engine.shaping;

import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.RelayConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code relay shaping check [FILE]}: validates a shaping file offline exactly as the relay would load it (layered
 * over the shipped file), without the relay running. Without FILE, the one named by {@code delivery.shaping}. Exit 0
 * with a summary of what applies per entry, 1 with the error (file, key, value, reason), 2 on a usage error.
 */
public final class ShapingCommand {
    private ShapingCommand() {
    }

    public static int run(String[] args, RelayConfig config, PrintStream out, PrintStream err) {
        if (args.length < 1 || !args[0].equals("check") || args.length > 2) {
            err.println("usage: relay shaping check [FILE]");
            return 2;
        }
        Path file = args.length == 2 ? Path.of(args[1]) : config.delivery().shapingFile();
        List<Duration> retry = config.delivery().retry().schedule();
        ShapingTable table;
        try {
            table = file == null ? ShapingTable.shipped(retry) : ReloadingShaping.check(file, retry);
        } catch (ConfigException e) {
            err.println("relay: " + e.getMessage());
            return 1;
        }
        out.println((file == null ? "shipped shaping.yaml" : file) + ": ok, " + table.summary());
        out.println("  default: " + describe(table.resolve("-", "-")));
        for (ShapingEntry e : table.entries()) {
            String site = e.mx() != null ? e.mx().get(0) : "-";
            String domain = e.domains() != null ? e.domains().get(0) : "-";
            out.println("  " + e.name() + " (domains " + (e.domains() == null ? "-" : String.join(",", e.domains()))
                    + "; mx " + (e.mx() == null ? "-" : String.join(",", e.mx())) + "): "
                    + describe(table.resolve(site, domain)));
        }
        return 0;
    }

    private static String describe(SiteShaping s) {
        return "connection_limit " + s.limits().connectionLimit() + ", max_deliveries_per_connection "
                + s.limits().maxDeliveriesPerConnection() + ", max_recipients_per_message "
                + s.limits().maxRecipientsPerMessage() + ", max_message_rate "
                + (s.maxMessageRate() == null ? "unlimited" : s.maxMessageRate()) + ", max_connection_rate "
                + (s.maxConnectionRate() == null ? "unlimited" : s.maxConnectionRate()) + ", tls " + s.limits().tls()
                + ", rules [" + s.rules().stream().map(ShapingRule::name).collect(Collectors.joining(", ")) + "]";
    }
}
