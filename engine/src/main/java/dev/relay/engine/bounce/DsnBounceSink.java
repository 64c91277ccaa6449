package dev.relay.engine.bounce;

import dev.relay.engine.queue.BounceSink;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import dev.relay.storage.Spool;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Queues a DSN to the original sender through the same spool as any accepted message: null reverse path (so a DSN
 * never bounces back, RFC 5321 4.5.5), transactional lane. No DSN for a message whose own sender is null.
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
            MessageId id = MessageId.newId();
            log.info("{} DSN {} to <{}> for {} failed recipients", message.id(), id, dsn.recipient(), failures.size());
            return spool.store(new IncomingMessage(id, "", List.of(dsn.recipient()), null, Priority.TRANSACTIONAL,
                    clock.instant(), dsn.body8bit(), dsn.smtputf8(), "127.0.0.1", reportingMta,
                    Unpooled.wrappedBuffer(dsn.content())));
        });
    }
}
