package dev.relay.engine.outcomes;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.queue.OutcomeFollowUp;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.PgBounceIntake;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Gives the bounced, deferred and expired events of the delivery write-back their category and class (and counts
 * bounces by class in the rollups), once the write-back committed: one statement per attempt that failed anywhere,
 * none for one that delivered everything. The write-back itself stays as it is; the classification trails it by
 * the time of one statement. A failure is logged: the events stay unclassified, nothing else is affected. No state.
 */
public final class EventClasses implements OutcomeFollowUp {
    private static final Logger log = LoggerFactory.getLogger(EventClasses.class);
    /** How far back the events of an attempt just recorded may lie (clock steps between nodes included). */
    static final Duration LOOKBACK = Duration.ofMinutes(10);

    private final BounceClassifier classifier;
    private final PgBounceIntake events;
    private final Clock clock;

    public EventClasses(BounceClassifier classifier, PgBounceIntake events, Clock clock) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The classification of a failed outcome; null for a delivery. */
    static @org.jspecify.annotations.Nullable Classification of(BounceClassifier classifier,
                                                                 DeliveryOutcome outcome) {
        if (outcome instanceof DeliveryOutcome.Bounced b) {
            return classifier.classify(b.reply());
        }
        if (outcome instanceof DeliveryOutcome.Deferred d) {
            return classifier.classify(d.reply());
        }
        if (outcome instanceof DeliveryOutcome.ConnectionFailed) {
            return classifier.classify(0, null, "");
        }
        return null;
    }

    @Override
    public Mono<Void> recorded(ClaimedMessage message, List<ClaimedRecipient> recipients,
                               List<DeliveryOutcome> outcomes) {
        List<Integer> indexes = new ArrayList<>();
        List<String> categories = new ArrayList<>();
        List<String> classes = new ArrayList<>();
        for (int i = 0; i < recipients.size() && i < outcomes.size(); i++) {
            Classification c = of(classifier, outcomes.get(i));
            if (c != null) {
                indexes.add(recipients.get(i).index());
                categories.add(c.category().key());
                classes.add(c.bounceClass().key());
            }
        }
        if (indexes.isEmpty()) {
            return Mono.empty();
        }
        return events.classify(message.id(), indexes, categories, classes, clock.instant().minus(LOOKBACK))
                .onErrorResume(e -> {
                    log.warn("{}: events not classified: {}", message.id(), e.toString());
                    return Mono.empty();
                })
                .then();
    }

    /** {@code a}, then {@code b}, each on its own: a failure of one does not skip the other. */
    public static OutcomeFollowUp both(OutcomeFollowUp a, OutcomeFollowUp b) {
        return (m, r, o) -> a.recorded(m, r, o).onErrorResume(e -> Mono.empty()).then(b.recorded(m, r, o));
    }
}
