package dev.relay.engine.delivery;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.routing.NextHop;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Delivers transactions over pooled SMTP connections, one pool per site. The caller keeps concurrent calls per site
 * within {@code limits.connectionLimit()}; the client reuses an idle connection when one is open (the next MAIL
 * directly after a completed transaction, at most {@code maxDeliveriesPerConnection}) or opens one to the first hop
 * that answers.
 */
public interface DeliveryClient extends AutoCloseable {
    /** Never errors: every failure is an outcome per recipient. Cancelling closes the connection in use. */
    default Mono<AttemptResult> deliver(String site, List<NextHop> hops, SiteLimits limits, Envelope envelope) {
        return deliver(site, hops, limits, SitePacing.NONE, envelope);
    }

    /** Like the above; new connections wait for {@code pacing}'s permits and every reply's latency is reported. */
    Mono<AttemptResult> deliver(String site, List<NextHop> hops, SiteLimits limits, SitePacing pacing,
                                Envelope envelope);

    /** Closes every pooled connection (QUIT when idle). */
    @Override
    void close();
}
