package dev.relay.engine.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.outcomes.VerpKey;
import dev.relay.engine.outcomes.VerpResult;
import dev.relay.engine.outcomes.VerpSettings;
import dev.relay.engine.queue.ReturnPath;
import dev.relay.protocol.Mailbox;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The MAIL FROM of a delivery under VERP: a verifiable bounce address per recipient; the null path stays null. */
class VerpReturnPathTest {
    private static final Instant NOW = Instant.parse("2026-12-05T00:00:00Z");
    private final VerpCodec codec = new VerpCodec(new VerpSettings(List.of(new VerpKey(0,
            "sixteen-bytes-or-more".getBytes(StandardCharsets.US_ASCII))), 0, "b+", "bounces.example.test",
            Duration.ofDays(30)), Clock.fixed(NOW, ZoneOffset.UTC));
    private final MessageId id = new MessageId(new UUID(3, 4));
    private final ClaimedRecipient second = new ClaimedRecipient(1, "b@x.test", "x.test", 0);

    private ClaimedMessage message(String reversePath) {
        return new ClaimedMessage(id, reversePath, Priority.TRANSACTIONAL, NOW, 10, false, false,
                List.of(new ClaimedRecipient(0, "a@x.test", "x.test", 0), second), "shop");
    }

    @Test
    void eachDeliveryCarriesABounceAddressNamingItsOneRecipient() {
        VerpReturnPath verp = new VerpReturnPath(codec);
        assertThat(verp.onePerRecipient()).isTrue();
        String from = verp.of(message("app@shop.test"), List.of(second));
        assertThat(from).matches("b\\+[a-z2-7]{53}@bounces\\.example\\.test");
        int at = from.indexOf('@');
        VerpResult decoded = codec.decode(new Mailbox(from.substring(0, at), from.substring(at + 1)));
        assertThat(decoded).isEqualTo(new VerpResult.Valid(id, 1, NOW, 0));
    }

    @Test
    void theNullPathIsNeverRewrittenAndTheOriginalIsKeptWithoutVerp() {
        assertThat(new VerpReturnPath(codec).of(message(""), List.of(second))).isEmpty();
        assertThat(ReturnPath.ORIGINAL.of(message("app@shop.test"), List.of(second))).isEqualTo("app@shop.test");
        assertThat(ReturnPath.ORIGINAL.onePerRecipient()).isFalse();
    }
}
