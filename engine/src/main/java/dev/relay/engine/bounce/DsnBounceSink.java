package dev.relay.engine.bounce;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import dev.relay.storage.Spool;
import dev.relay.storage.StorageErrors;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Queues a DSN to the original sender through the same spool as any accepted message: null reverse path (so a DSN
 * never bounces back, RFC 5321 4.5.5), transactional lane. No DSN for a message whose own sender is null.
 *
 * <p>The notice is idempotent: its id is derived from the message, the failed recipients and their attempt counts,
 * so a write-back repeated after a crash, or by the node that took over a stalled node's claims, stores no second
 * DSN for the same attempt (the spool refuses the duplicate key, which counts as already done). The alternative,
 * one transaction for notice and final update, would tie the spool's group commit to the write-back's batches.
 */
public final class DsnBounceSink implements BounceSink {
    private static final Logger log = LoggerFactory.getLogger(DsnBounceSink.class);

    private final Spool spool;
    private final DsnBuilder builder;
    private final String reportingMta;
    private final Clock clock;

    public DsnBounceSink(Spool spool, DsnBuilder builder, String reportingMta, Clock clock) {
        this.spool = Objects.requireNonNull(spool, "spool");
        this.builder = Objects.requireNonNull(builder, "builder");
        this.reportingMta = Objects.requireNonNull(reportingMta, "reportingMta");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Mono<Void> bounced(ClaimedMessage message, byte[] content, List<FailedRecipient> failures) {
        if (failures.isEmpty() || !DsnBuilder.needsDsn(message.reversePath())) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            DsnMessage dsn = builder.build(Dsn.of(reportingMta, message.id(), message.reversePath(),
                    message.receivedAt(), content, failures));
            MessageId id = noticeId(message, failures);
            log.info("{} DSN {} to <{}> for {} failed recipients", message.id(), id, dsn.recipient(), failures.size());
            return spool.store(new IncomingMessage(id, "", List.of(dsn.recipient()), null, Priority.TRANSACTIONAL,
                    clock.instant(), dsn.body8bit(), dsn.smtputf8(), "127.0.0.1", reportingMta,
                    Unpooled.wrappedBuffer(dsn.content())))
                    .onErrorResume(StorageErrors::isUniqueViolation, e -> {
                        log.info("{} DSN {} was already stored: not repeated", message.id(), id);
                        return Mono.empty();
                    });
        });
    }

    /** The same for the same message, failed recipients and attempt, whichever node or retry asks. */
    static MessageId noticeId(ClaimedMessage message, List<FailedRecipient> failures) {
        TreeSet<String> keys = new TreeSet<>();
        for (FailedRecipient f : failures) {
            int attempts = -1;
            for (ClaimedRecipient r : message.recipients()) {
                if (r.address().equals(f.address())) {
                    attempts = r.attempts();
                    break;
                }
            }
            keys.add(f.address() + "#" + attempts);
        }
        return MessageId.derived(message.id(), "dsn/" + String.join("/", keys));
    }
}
