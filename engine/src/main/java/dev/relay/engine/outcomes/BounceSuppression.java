package dev.relay.engine.outcomes;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.engine.queue.OutcomeFollowUp;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.SuppressionRecords.SoftBounceRule;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Feeds the suppression list from recorded outcomes: a bounce the classifier calls hard and that says the address
 * itself is dead (unknown user, unknown domain, disabled mailbox) suppresses it at once; a deferral for such a
 * recipient-level reason (a full mailbox, say) counts as a soft bounce, and {@code suppression.soft_bounce_limit} of
 * them within {@code soft_bounce_window} suppress it. Reputation, policy, content and network failures say nothing
 * about the address and suppress nothing. The scope is the message's AUTH user, or {@code *} (every sender) for mail
 * relayed without AUTH, which is the scope the door checks for such clients. No state of its own.
 */
public final class BounceSuppression implements OutcomeFollowUp {
    private static final Logger log = LoggerFactory.getLogger(BounceSuppression.class);
    /** Categories that speak about the address, not about us or the message. */
    static final Set<Category> ABOUT_THE_ADDRESS = EnumSet.of(Category.UNKNOWN_USER, Category.UNKNOWN_DOMAIN,
            Category.MAILBOX_DISABLED, Category.MAILBOX_FULL);
    /** What a hard bounce of these categories means: the address is dead. A full mailbox is never that. */
    static final Set<Category> DEAD = EnumSet.of(Category.UNKNOWN_USER, Category.UNKNOWN_DOMAIN,
            Category.MAILBOX_DISABLED);
    public static final String GLOBAL = "*";

    /** Where suppressions are written (the database's suppression list; tests record). */
    public interface SuppressionList {
        Mono<Void> hardBounce(String scope, String address, String category, String detail);

        Mono<Void> softBounce(String scope, String address, String category, String detail);
    }

    private final BounceClassifier classifier;
    private final SuppressionList list;

    public BounceSuppression(BounceClassifier classifier, SuppressionList list) {
        this.classifier = Objects.requireNonNull(classifier, "classifier");
        this.list = Objects.requireNonNull(list, "list");
    }

    /**
     * On the database's suppression list, with the configured soft-bounce rule; {@code changed} hears of every address
     * written (this node's RCPT cache forgets it, so the next message to it is refused here at once).
     */
    public static BounceSuppression on(BounceClassifier classifier, dev.relay.storage.PgSuppressions suppressions,
                                       SoftBounceRule rule, java.util.function.Consumer<String> changed) {
        return new BounceSuppression(classifier, new SuppressionList() {
            @Override
            public Mono<Void> hardBounce(String scope, String address, String category, String detail) {
                return suppressions.addHardBounce(scope, address, category, detail)
                        .doOnSuccess(a -> changed.accept(address)).then();
            }

            @Override
            public Mono<Void> softBounce(String scope, String address, String category, String detail) {
                return suppressions.softBounce(scope, address, category, detail, rule)
                        .doOnSuccess(n -> {
                            if (n != null && n.suppressed() != null) {
                                changed.accept(address);
                            }
                        }).then();
            }
        });
    }

    @Override
    public Mono<Void> recorded(ClaimedMessage message, List<ClaimedRecipient> recipients,
                               List<DeliveryOutcome> outcomes) {
        String scope = message.account() == null ? GLOBAL : message.account();
        List<Mono<Void>> writes = new ArrayList<>();
        for (int i = 0; i < recipients.size() && i < outcomes.size(); i++) {
            String address = recipients.get(i).address();
            DeliveryOutcome outcome = outcomes.get(i);
            Mono<Void> write = follow(scope, address, outcome);
            if (write != null) {
                writes.add(write.doOnSuccess(v -> log.info("{} {}: counted for the suppression list of {} after"
                                + " \"{}\"", message.id(), address, scope, replyOf(outcome)))
                        .onErrorResume(e -> {
                            log.warn("{} {}: suppression not recorded: {}", message.id(), address, e.toString());
                            return Mono.empty();
                        }));
            }
        }
        return writes.isEmpty() ? Mono.empty() : Flux.concat(writes).then();
    }

    private @Nullable Mono<Void> follow(String scope, String address, DeliveryOutcome outcome) {
        SmtpReply reply = replyOf(outcome);
        if (reply == null) {
            return null;
        }
        Classification c = classifier.classify(reply);
        if (outcome instanceof DeliveryOutcome.Bounced && !c.isHard()) {
            return null; // a soft final reply (552 mailbox full) counts only as a deferral would
        }
        return follow(scope, address, c, outcome instanceof DeliveryOutcome.Bounced, reply.toString().strip());
    }

    /**
     * The same rule for a failure that came back later (the bounce intake): {@code failed} for a final failure
     * (a DSN {@code failed}, a free-text bounce), false for a delay. A final failure counts as a soft bounce when it
     * is soft and about the address (a full mailbox), as a deferral does here. Null when it suppresses nothing.
     */
    public @Nullable Mono<Void> follow(String scope, String address, Classification c, boolean failed,
                                       String detail) {
        if (!ABOUT_THE_ADDRESS.contains(c.category())) {
            return null;
        }
        if (failed && c.isHard() && DEAD.contains(c.category())) {
            return list.hardBounce(scope, address, c.category().key(), detail);
        }
        if (!c.isHard()) {
            return list.softBounce(scope, address, c.category().key(), detail);
        }
        return null;
    }

    private static @Nullable SmtpReply replyOf(DeliveryOutcome outcome) {
        if (outcome instanceof DeliveryOutcome.Bounced b) {
            return b.reply();
        }
        if (outcome instanceof DeliveryOutcome.Deferred d && d.remoteHost() != null) {
            return d.reply(); // a deferral we made up (routing, DNS) says nothing about the address
        }
        return null;
    }
}
