package dev.relay.engine.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code delivery}: static routes, recipient domain (lower case) or {@code *} → host:port, like Postfix transport_maps. */
public record DeliveryConfig(Map<String, HostPort> routes) {
    public DeliveryConfig {
        Map<String, HostPort> copy = new LinkedHashMap<>();
        routes.forEach((domain, target) -> {
            String d = domain.strip().toLowerCase(Locale.ROOT);
            if (d.isEmpty() || !(d.equals("*") || d.matches("[a-z0-9._-]+|\\[[0-9a-f:.]+\\]"))) {
                throw new ConfigException("delivery.routes." + domain, String.valueOf(target),
                        "route key must be a domain or *");
            }
            copy.put(d, target);
        });
        routes = Collections.unmodifiableMap(copy);
    }

    public static DeliveryConfig defaults() {
        return new DeliveryConfig(Map.of());
    }
}
