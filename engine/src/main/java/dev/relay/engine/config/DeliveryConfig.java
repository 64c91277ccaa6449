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
 * TLS and reply rules, layered over the shipped {@code shaping.yaml}; null: shipped only), and the bounds on what any
 * next hop may cost ({@link HopLimits}).
 */
public record DeliveryConfig(boolean enabled, String nodeName, Map<String, RouteTarget> routes, DnsConfig dns,
                             List<String> siteSuffixes, RetryConfig retry, int window, double siteWindowShare,
                             Duration pollInterval, @Nullable String heloName, @Nullable Path shapingFile,
                             HopLimits hopLimits) {
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
    }

    /** Without {@link HopLimits}: their defaults. */
    public DeliveryConfig(boolean enabled, String nodeName, Map<String, RouteTarget> routes, DnsConfig dns,
                          List<String> siteSuffixes, RetryConfig retry, int window, double siteWindowShare,
                          Duration pollInterval, @Nullable String heloName, @Nullable Path shapingFile) {
        this(enabled, nodeName, routes, dns, siteSuffixes, retry, window, siteWindowShare, pollInterval, heloName,
                shapingFile, HopLimits.defaults());
    }

    public static DeliveryConfig defaults() {
        return new DeliveryConfig(true, defaultNodeName(), Map.of(), DnsConfig.defaults(), DEFAULT_SITE_SUFFIXES,
                RetryConfig.defaults(), 20_000, 0.5, Duration.ofSeconds(1), null, null);
    }

    /** $HOSTNAME when it is a valid node name, else "local". */
    public static String defaultNodeName() {
        String name = System.getenv("HOSTNAME");
        return name != null && name.matches("[A-Za-z0-9._-]{1,63}") ? name : "local";
    }
}
