package dev.relay.engine.routing;

import java.util.List;
import java.util.Objects;

/** Where mail for one domain goes, or why it cannot go there now or ever. */
public sealed interface Resolution {
    /** Next hops in preference order (equal MX preferences already shuffled), all belonging to {@code site}. */
    record Routed(String site, List<NextHop> hops) implements Resolution {
        public Routed {
            Objects.requireNonNull(site, "site");
            hops = List.copyOf(hops);
            if (hops.isEmpty()) {
                throw new IllegalArgumentException("a route needs at least one hop");
            }
        }
    }

    /** Permanent: NXDOMAIN, null MX (RFC 7505), no address at all; recipients bounce with {@code status}. */
    record Undeliverable(String status, String reason) implements Resolution {
        public Undeliverable {
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Transient: SERVFAIL, timeout; recipients are deferred. */
    record Unresolvable(String reason) implements Resolution {
        public Unresolvable {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
