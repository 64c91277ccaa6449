package dev.relay.engine.queue;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
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
 * final, deferred and connection failures get their next attempt from the {@link RetrySchedule}, expiry is final.
 */
final class OutcomeUpdates {
    /** The rows to write and the failures to report in a DSN. */
    record Batch(List<RecipientUpdate> updates, List<FinalFailure> failures) {
        Batch {
            updates = List.copyOf(updates);
            failures = List.copyOf(failures);
        }
    }

    private final RetrySchedule retry;

    OutcomeUpdates(RetrySchedule retry) {
        this.retry = Objects.requireNonNull(retry, "retry");
    }

    boolean expired(ClaimedMessage message, Instant now) {
        return retry.expired(message.receivedAt(), now);
    }

    /** {@code outcomes} aligns with the job's recipients; with {@code expired} they are ignored (may be null). */
    Batch of(DeliveryJob job, List<@Nullable DeliveryOutcome> outcomes, boolean expired, Instant now) {
        if (!expired && outcomes.size() != job.recipients().size()) {
            throw new IllegalArgumentException(outcomes.size() + " outcomes for " + job.recipients().size()
                    + " recipients");
        }
        ClaimedMessage m = job.message();
        List<RecipientUpdate> updates = new ArrayList<>(job.recipients().size());
        List<FinalFailure> failures = new ArrayList<>();
        for (int i = 0; i < job.recipients().size(); i++) {
            ClaimedRecipient r = job.recipients().get(i);
            if (expired) {
                SmtpReply reply = SmtpReply.of(554, "5.4.7", "message expired: not delivered within the maximum"
                        + " lifetime");
                updates.add(update(m, r, RecipientUpdate.Kind.EXPIRED, null, null, reply));
                failures.add(new FinalFailure(r.address(), reply, null, true, now));
                continue;
            }
            DeliveryOutcome outcome = Objects.requireNonNull(outcomes.get(i), "outcome");
            if (outcome instanceof DeliveryOutcome.Delivered d) {
                updates.add(update(m, r, RecipientUpdate.Kind.DELIVERED, null, d.remoteHost(), d.reply()));
            } else if (outcome instanceof DeliveryOutcome.Bounced b) {
                updates.add(update(m, r, RecipientUpdate.Kind.BOUNCED, null, b.remoteHost(), b.reply()));
                failures.add(new FinalFailure(r.address(), b.reply(), b.remoteHost(), false, now));
            } else if (outcome instanceof DeliveryOutcome.Deferred d) {
                Instant next = retry.nextAttempt(r.attempts(), now, m.receivedAt(), d.retryAfter());
                updates.add(update(m, r, RecipientUpdate.Kind.DEFERRED, next, d.remoteHost(), d.reply()));
            } else if (outcome instanceof DeliveryOutcome.ConnectionFailed c) {
                Instant next = retry.nextAttempt(r.attempts(), now, m.receivedAt(), null);
                updates.add(new RecipientUpdate(m.id(), r.index(), r.address(), RecipientUpdate.Kind.DEFERRED, next,
                        c.remoteHost(), "connection failed: " + c.cause()));
            }
        }
        return new Batch(updates, failures);
    }

    private static RecipientUpdate update(ClaimedMessage m, ClaimedRecipient r, RecipientUpdate.Kind kind,
                                          @Nullable Instant next, @Nullable String host, SmtpReply reply) {
        return new RecipientUpdate(m.id(), r.index(), r.address(), kind, next, host, reply.toString());
    }
}
