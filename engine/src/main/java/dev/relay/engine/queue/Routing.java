package dev.relay.engine.queue;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.routing.Resolution;
import dev.relay.engine.routing.Router;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes claimed messages: one job per message and domain, resolved through the {@link Router} (which caches per
 * domain); a routed job goes to its site's queue, a domain that cannot take mail (null MX, no route) is recorded
 * without an attempt, bounced or deferred.
 *
 * <p>Threads: no mutable state; resolutions complete on the resolver's threads.
 */
final class Routing {
    private static final Logger log = LoggerFactory.getLogger(Routing.class);

    private final Router router;
    private final SiteDispatcher dispatcher;
    private final OutcomeRecorder recorder;
    private final Window window;
    private final BooleanSupplier closed;

    Routing(Router router, SiteDispatcher dispatcher, OutcomeRecorder recorder, Window window,
            BooleanSupplier closed) {
        this.router = Objects.requireNonNull(router, "router");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.recorder = Objects.requireNonNull(recorder, "recorder");
        this.window = Objects.requireNonNull(window, "window");
        this.closed = Objects.requireNonNull(closed, "closed");
    }

    /** A claimed message (its recipients hold window room): one job per domain, each routed to its site. */
    void accept(ClaimedMessage message) {
        Map<String, List<ClaimedRecipient>> byDomain = new LinkedHashMap<>();
        for (ClaimedRecipient r : message.recipients()) {
            byDomain.computeIfAbsent(r.domain(), d -> new ArrayList<>()).add(r);
        }
        byDomain.forEach((domain, recipients) -> route(new DeliveryJob(message, domain, recipients)));
    }

    private void route(DeliveryJob job) {
        router.resolve(job.domain()).subscribe(resolution -> {
            if (closed.getAsBoolean()) {
                // claimed or routed after drain() emptied the queues: leave it to releaseClaims, do not wait for it
                window.release(job.recipients().size());
                return;
            }
            if (resolution instanceof Resolution.Routed routed) {
                dispatcher.place(routed.site(), routed.hops(), job);
            } else if (resolution instanceof Resolution.Undeliverable u) {
                recorder.routed(job, Collections.nCopies(job.recipients().size(),
                        new DeliveryOutcome.Bounced(null, SmtpReply.of(550, u.status(), u.reason()))));
            } else if (resolution instanceof Resolution.Unresolvable u) {
                recorder.routed(job, Collections.nCopies(job.recipients().size(),
                        new DeliveryOutcome.Deferred(null, SmtpReply.of(451, "4.4.3", u.reason()), null)));
            }
        }, e -> {
            log.error("{} routing {} failed unexpectedly", job.message().id(), job.domain(), e);
            recorder.routed(job, Collections.nCopies(job.recipients().size(),
                    new DeliveryOutcome.Deferred(null, SmtpReply.of(451, "4.4.3", "routing failed"), null)));
        });
    }
}
