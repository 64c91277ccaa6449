package dev.relay.engine.queue;

import dev.relay.engine.bounce.BounceStatus;
import dev.relay.engine.bounce.FailedRecipient;
import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.RecipientUpdate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns per-recipient outcomes into what the store records and what the sender is told: delivered and bounced are
 * final; deferred and connection failures get their next attempt from the {@link RetrySchedule}, unless the message
 * has outlived its lifetime, which makes them final as expired. Expiry is decided after an attempt, so a message
 * always gets its last attempt at (or after) its expiry time.
 */
final class OutcomeUpdates {
    /** The rows to write and the failures to report in a DSN. */
    record Batch(List<RecipientUpdate> updates, List<FailedRecipient> failures, int expired) {
        Batch {
            updates = List.copyOf(updates);
            failures = List.copyOf(failures);
        }
    }

    private final RetrySchedule retry;

    OutcomeUpdates(RetrySchedule retry) {
        this.retry = Objects.requireNonNull(retry, "retry");
    }

    /** {@code outcomes} aligns with the job's recipients. */
    Batch of(DeliveryJob job, List<DeliveryOutcome> outcomes, Instant now) {
        return of(job, outcomes, now, null);
    }

    /** With the site's own retry schedule ({@code shaping.yaml} {@code retry}), or null for the global one. */
    Batch of(DeliveryJob job, List<DeliveryOutcome> outcomes, Instant now,
             java.util.@Nullable List<java.time.Duration> schedule) {
        if (outcomes.size() != job.recipients().size()) {
            throw new IllegalArgumentException(outcomes.size() + " outcomes for " + job.recipients().size()
                    + " recipients");
        }
        ClaimedMessage m = job.message();
        boolean expired = retry.expired(m.receivedAt(), now);
        List<RecipientUpdate> updates = new ArrayList<>(outcomes.size());
        List<FailedRecipient> failures = new ArrayList<>();
        int expiredCount = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            ClaimedRecipient r = job.recipients().get(i);
            DeliveryOutcome outcome = outcomes.get(i);
            if (outcome instanceof DeliveryOutcome.Delivered d) {
                updates.add(update(m, r, RecipientUpdate.Kind.DELIVERED, null, d.remoteHost(), d.reply().toString()));
            } else if (outcome instanceof DeliveryOutcome.Bounced b) {
                updates.add(update(m, r, RecipientUpdate.Kind.BOUNCED, null, b.remoteHost(), b.reply().toString()));
                failures.add(new FailedRecipient(r.address(), BounceStatus.of(b), now));
            } else {
                @Nullable String host;
                String text;
                java.time.@Nullable Duration retryAfter = null;
                boolean greylisting = false;
                if (outcome instanceof DeliveryOutcome.Deferred d) {
                    host = d.remoteHost();
                    text = d.reply().toString();
                    retryAfter = d.retryAfter();
                    greylisting = d.greylisting();
                } else {
                    DeliveryOutcome.ConnectionFailed c = (DeliveryOutcome.ConnectionFailed) outcome;
                    host = c.remoteHost();
                    text = "connection failed: " + c.cause();
                }
                if (expired) {
                    updates.add(update(m, r, RecipientUpdate.Kind.EXPIRED, null, host, text));
                    failures.add(new FailedRecipient(r.address(), BounceStatus.expired(outcome), now));
                    expiredCount++;
                } else {
                    // attempts counts the one that just failed, as RetrySchedule expects
                    Instant next = retry.nextAttempt(r.attempts() + 1, now, m.receivedAt(), retryAfter,
                            greylisting, schedule);
                    updates.add(update(m, r, RecipientUpdate.Kind.DEFERRED, next, host, text));
                }
            }
        }
        return new Batch(updates, failures, expiredCount);
    }

    private static RecipientUpdate update(ClaimedMessage m, ClaimedRecipient r, RecipientUpdate.Kind kind,
                                          @Nullable Instant next, @Nullable String host, String reply) {
        return new RecipientUpdate(m.id(), r.index(), r.address(), kind, next, host, reply);
    }
}
