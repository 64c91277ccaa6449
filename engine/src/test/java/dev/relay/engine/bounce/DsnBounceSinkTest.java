package dev.relay.engine.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.DeliveryOutcome;
import dev.relay.protocol.SmtpReply;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import dev.relay.storage.Spool;
import dev.relay.storage.SpoolUnavailableException;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** The bounce notice is stored once per message, failed recipients and attempt, however often it is asked for. */
class DsnBounceSinkTest {
    private static final Instant NOW = Instant.parse("2026-12-04T21:00:00Z");
    private static final byte[] CONTENT = "Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    /** Refuses a second message with the same id, as the spool's primary key does. */
    static final class KeyedSpool implements Spool {
        final Set<MessageId> ids = new HashSet<>();
        final List<MessageId> stored = new ArrayList<>();

        @Override
        public Mono<Void> store(IncomingMessage message) {
            message.content().release();
            if (!ids.add(message.id())) {
                return Mono.error(new SpoolUnavailableException("spool write failed: duplicate key",
                        new R2dbcDataIntegrityViolationException("duplicate key value violates unique constraint",
                                "23505", 0)));
            }
            stored.add(message.id());
            return Mono.empty();
        }

        @Override
        public Mono<Void> storeClaimed(IncomingMessage message, String node) {
            return store(message);
        }
    }

    private static ClaimedMessage message(MessageId id, int attempts) {
        return new ClaimedMessage(id, "app@shop.test", Priority.TRANSACTIONAL, NOW.minusSeconds(60), CONTENT.length,
                false, false, List.of(new ClaimedRecipient(0, "gone@example.test", "example.test", attempts),
                new ClaimedRecipient(1, "ok@example.test", "example.test", attempts)));
    }

    private static List<FailedRecipient> gone() {
        return List.of(new FailedRecipient("gone@example.test", BounceStatus.of(new DeliveryOutcome.Bounced(
                "mx.example.test", SmtpReply.of(550, "5.1.1", "no such user"))), NOW));
    }

    private final KeyedSpool spool = new KeyedSpool();
    private final DsnBounceSink sink = new DsnBounceSink(spool, new DsnBuilder(), "relay.test",
            Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void aRepeatedNoticeForTheSameAttemptStoresNothingAndSucceeds() {
        MessageId id = MessageId.newId();
        sink.bounced(message(id, 0), CONTENT, gone()).block();
        sink.bounced(message(id, 0), CONTENT, gone()).block(); // a retried write-back, or another node after takeover

        assertThat(spool.stored).hasSize(1);
        assertThat(spool.ids).hasSize(1);
    }

    @Test
    void theNoticeIdDependsOnMessageRecipientsAndAttempt() {
        MessageId id = MessageId.newId();
        MessageId first = DsnBounceSink.noticeId(message(id, 0), gone());
        assertThat(DsnBounceSink.noticeId(message(id, 0), gone())).isEqualTo(first);
        assertThat(DsnBounceSink.noticeId(message(id, 1), gone())).isNotEqualTo(first);
        assertThat(DsnBounceSink.noticeId(message(MessageId.newId(), 0), gone())).isNotEqualTo(first);
        assertThat(first.unixMillis()).isEqualTo(id.unixMillis());
    }
}
