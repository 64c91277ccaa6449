package dev.relay.engine.metrics;

import dev.relay.engine.config.DeliveryConfig;
import dev.relay.engine.config.RouteTarget;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The {@code site} tag value of a site: configured provider suffixes ({@code delivery.sites} and the shaping file's
 * {@code mx:} suffixes) and static route targets keep their name; every other site (one per small receiving domain)
 * is "other", so the number of series stays bounded by configuration, not by traffic.
 */
public final class SiteTags implements UnaryOperator<String> {
    public static final String OTHER = "other";

    private final Set<String> known = new HashSet<>();
    private final Supplier<? extends Collection<String>> more;

    public SiteTags(DeliveryConfig config) {
        this(config, Set::of);
    }

    /** {@code more}: further names kept, asked at each call (the shaping file's MX suffixes, which may change). */
    public SiteTags(DeliveryConfig config, Supplier<? extends Collection<String>> more) {
        this.more = more;
        known.addAll(config.siteSuffixes());
        for (RouteTarget target : config.routes().values()) {
            known.add(target.target().toString().toLowerCase(Locale.ROOT));
        }
    }

    @Override
    public String apply(String site) {
        return known.contains(site) || more.get().contains(site) ? site : OTHER;
    }
}
