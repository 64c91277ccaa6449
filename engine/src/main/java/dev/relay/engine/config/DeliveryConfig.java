package dev.relay.engine.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code delivery}: whether this node delivers at all, its node name (claims in the shared database are per node),
 * static routes (recipient domain or {@code *} → next hop, like Postfix transport_maps; they bypass DNS), DNS, the MX
 * host suffixes that group hosts into sites, retries and lifetime, the in-memory window and the share of it one site
 * may hold (so a slow site cannot starve the others of room), the user's shaping file (per-site limits, timeouts,
 * TLS and reply rules, layered over the shipped {@code shaping.yaml}; null: shipped only), the bounds on what any
 * next hop may cost ({@link HopLimits}), and how often this node heartbeats in the shared database and after how
 * long a silent node's claims are taken over (also: after half that long without a heartbeat, this node starts no
 * new delivery).
 */
public record DeliveryConfig(boolean enabled, String nodeName, Map<String, RouteTarget> routes, DnsConfig dns,
                             List<String> siteSuffixes, RetryConfig retry, int window, double siteWindowShare,
                             Duration pollInterval, @Nullable String heloName, @Nullable Path shapingFile,
                             HopLimits hopLimits, Duration heartbeat, Duration staleAfter) {
    /** Takeover of a dead node's claims within stale_after + heartbeat (+ a claim poll): 25 s by default. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STALE_AFTER = Duration.ofSeconds(20);

    /** Well-known providers whose MX hosts share a suffix; one site each. */
    public static final List<String> DEFAULT_SITE_SUFFIXES = List.of("google.com", "googlemail.com",
            "outlook.com", "protection.outlook.com", "yahoodns.net", "icloud.com", "comcast.net", "gmx.net",
            "web.de", "mail.ru", "yandex.net", "zoho.com", "messagingengine.com", "pphosted.com", "mimecast.com");

    public DeliveryConfig {
        Objects.requireNonNull(nodeName, "node_name");
        if (!nodeName.matches("[A-Za-z0-9._-]{1,63}")) {
            throw new ConfigException("delivery.node_name", nodeName, "must be 1-63 letters, digits, '.', '_' or '-'");
        }
        Map<String, RouteTarget> copy = new LinkedHashMap<>();
        routes.forEach((domain, target) -> {
            String d = domain.strip().toLowerCase(Locale.ROOT);
            if (d.isEmpty() || !(d.equals("*") || d.matches("[a-z0-9._-]+|\\[[0-9a-f:.]+\\]"))) {
                throw new ConfigException("delivery.routes." + domain, String.valueOf(target),
                        "route key must be a domain or *");
            }
            copy.put(d, target);
        });
        routes = Collections.unmodifiableMap(copy);
        Objects.requireNonNull(dns, "dns");
        siteSuffixes = siteSuffixes.stream().map(s -> s.strip().toLowerCase(Locale.ROOT)).toList();
        for (int i = 0; i < siteSuffixes.size(); i++) {
            if (!siteSuffixes.get(i).matches("[a-z0-9-]+(\\.[a-z0-9-]+)+")) {
                throw new ConfigException("delivery.sites[" + i + "]", siteSuffixes.get(i),
                        "expected a host name suffix such as google.com");
            }
        }
        Objects.requireNonNull(retry, "retry");
        Limits.check("delivery.window", window, 10, 10_000_000);
        if (!(siteWindowShare >= 0.05 && siteWindowShare <= 1)) {
            throw new ConfigException("delivery.site_window_share", String.valueOf(siteWindowShare),
                    "must be a fraction of the window between 0.05 and 1");
        }
        Limits.positive("delivery.poll_interval", pollInterval);
        Objects.requireNonNull(hopLimits, "hopLimits");
        Limits.positive("delivery.heartbeat", heartbeat);
        Limits.positive("delivery.stale_after", staleAfter);
        if (staleAfter.compareTo(heartbeat.multipliedBy(3)) < 0) {
            // one late or lost heartbeat must not hand a live node's claims to another node
            throw new ConfigException("delivery.stale_after", String.valueOf(staleAfter),
                    "must be at least three delivery.heartbeat periods (" + heartbeat + ")");
        }
    }

    /** Without hop limits and heartbeat settings: their defaults. */
    public DeliveryConfig(boolean enabled, String nodeName, Map<String, RouteTarget> routes, DnsConfig dns,
                          List<String> siteSuffixes, RetryConfig retry, int window, double siteWindowShare,
                          Duration pollInterval, @Nullable String heloName, @Nullable Path shapingFile) {
        this(enabled, nodeName, routes, dns, siteSuffixes, retry, window, siteWindowShare, pollInterval, heloName,
                shapingFile, HopLimits.defaults(), DEFAULT_HEARTBEAT, DEFAULT_STALE_AFTER);
    }

    public static DeliveryConfig defaults() {
        return new DeliveryConfig(true, defaultNodeName(), Map.of(), DnsConfig.defaults(), DEFAULT_SITE_SUFFIXES,
                RetryConfig.defaults(), 20_000, 0.5, Duration.ofSeconds(1), null, null);
    }

    /**
     * The machine's host name as the operating system knows it (the kernel's, not only {@code $HOSTNAME}, which
     * systemd does not set), cut to its first label when too long for a node name; "local" when there is none.
     */
    public static String defaultNodeName() {
        return nodeNameOf(kernelHostName(), System.getenv("HOSTNAME"));
    }

    static String nodeNameOf(@Nullable String... candidates) {
        for (String c : candidates) {
            if (c == null) {
                continue;
            }
            String name = c.strip();
            if (!name.matches("[A-Za-z0-9._-]{1,63}") && name.indexOf('.') > 0) {
                name = name.substring(0, name.indexOf('.'));
            }
            if (name.matches("[A-Za-z0-9._-]{1,63}")) {
                return name;
            }
        }
        return "local";
    }

    private static @Nullable String kernelHostName() {
        // Linux; elsewhere the JDK's (which reads the same gethostname(), without a DNS lookup)
        try {
            return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname"));
        } catch (java.io.IOException | RuntimeException e) {
            try {
                return java.net.InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException | RuntimeException e2) {
                return null;
            }
        }
    }
}
