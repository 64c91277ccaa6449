package dev.relay.engine.shaping;

import java.util.Objects;

/**
 * The shaping in force now. Implementations are immutable snapshots or delegate to the latest valid one (hot
 * reload), so a caller may resolve again at any time and see an edit within seconds.
 */
public interface Shaping {
    /** What applies to mail for {@code domain} routed to {@code site} (a site name as the router gives it). */
    SiteShaping resolve(String site, String domain);

    /** The same shaping for every site (tests, and a relay with no shaping file). */
    static Shaping fixed(SiteShaping shaping) {
        Objects.requireNonNull(shaping, "shaping");
        return (site, domain) -> shaping;
    }
}
