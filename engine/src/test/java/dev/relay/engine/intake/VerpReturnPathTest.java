package dev.relay.engine.intake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.identity.Identities;
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
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
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
        assertThat(verp.onePerRecipient(message("app@shop.test"))).isTrue();
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
        assertThat(ReturnPath.ORIGINAL.onePerRecipient(message("app@shop.test"))).isFalse();
        assertThat(new VerpReturnPath(codec).onePerRecipient(message(""))).as("a DSN is never split").isFalse();
    }

    private ClaimedMessage from(String system) {
        return new ClaimedMessage(id, "app@" + system + ".test", Priority.TRANSACTIONAL, NOW, 10, false, false,
                List.of(new ClaimedRecipient(0, "a@x.test", "x.test", 0), second), system);
    }

    private static SystemInfo system(String name, Boolean verp) {
        return new SystemInfo(name, true, Priority.TRANSACTIONAL, null, false, NOW, NOW, verp);
    }

    @Test
    void aSystemsOwnSettingOverridesTheGlobalOneEitherWay() {
        Identities known = new Identities(new Snapshot(List.of(system("on", true), system("off", false),
                system("plain", null)), List.of(), List.of()));
        for (boolean global : List.of(true, false)) {
            VerpReturnPath verp = new VerpReturnPath(codec, global, () -> known);
            assertThat(verp.of(from("on"), List.of(second))).as("on, global " + global).startsWith("b+");
            assertThat(verp.onePerRecipient(from("on"))).isTrue();
            assertThat(verp.of(from("off"), List.of(second))).as("off, global " + global)
                    .isEqualTo("app@off.test");
            assertThat(verp.onePerRecipient(from("off"))).isFalse();
            // default, an unknown system (deleted since) and mail without a system follow the global setting
            for (String other : List.of("plain", "gone")) {
                assertThat(verp.of(from(other), List.of(second)).startsWith("b+")).as(other).isEqualTo(global);
                assertThat(verp.onePerRecipient(from(other))).isEqualTo(global);
            }
            ClaimedMessage unauthenticated = new ClaimedMessage(id, "app@shop.test", Priority.TRANSACTIONAL, NOW, 10,
                    false, false, List.of(second), null);
            assertThat(verp.onePerRecipient(unauthenticated)).isEqualTo(global);
        }
    }
}
