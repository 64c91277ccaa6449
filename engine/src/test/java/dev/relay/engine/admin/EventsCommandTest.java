package dev.relay.engine.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.storage.EventKind;
import dev.relay.storage.EventQueries.Count;
import dev.relay.storage.EventQueries.HistoryEvent;
import dev.relay.storage.EventQueries.Interval;
import dev.relay.storage.MessageId;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code relay stats} and {@code relay history}: arguments to API calls, and the API's documents as tables. */
class EventsCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static QueueCommand.Request request(String... args) {
        return QueueCommand.request(QueueCommand.parse(args));
    }

    @Test
    void statsAndHistoryBecomeApiCalls() {
        assertThat(request("stats").path()).isEqualTo("stats");
        assertThat(request("stats", "--sender", "shop", "--since", "7d", "--by", "day").path())
                .isEqualTo("stats?sender=shop&since=7d&by=day");
        assertThat(request("history", "Who@Example.com").path()).isEqualTo("history/recipients/Who%40Example.com");
        assertThat(request("history", "01m87q6ek2egyayfr8scgymfdy", "--limit", "5", "--before", "42").path())
                .isEqualTo("history/messages/01M87Q6EK2EGYAYFR8SCGYMFDY?limit=5&before=42");
        assertThatThrownBy(() -> request("stats", "--by", "week")).hasMessageContaining(
                "--by must be minute, hour or day");
        assertThat(request("stats", "--since", "2h", "--by", "minute").path()).isEqualTo("stats?since=2h&by=minute");
        assertThatThrownBy(() -> request("stats", "--since", "yesterday")).hasMessageContaining("--since");
        assertThatThrownBy(() -> request("history")).hasMessageContaining("takes 1 argument, got 0");
        assertThat(request("history", "<order 1/2@client>").path())
                .isEqualTo("history/messages/%3Corder%201%2F2%40client%3E");
        assertThatThrownBy(() -> request("history", "not-an-id")).hasMessageStartingWith("not a queue id");
        assertThatThrownBy(() -> request("history", "a@b", "--sender", "x")).hasMessageContaining("does not apply");
    }

    @Test
    void statsTableHasAColumnPerKindAndOneRowPerSenderAndBucket() throws Exception {
        Instant h = Instant.parse("2026-12-04T10:00:00Z");
        var doc = EventsEndpoints.stats(List.of(new Count("", h, EventKind.ACCEPTED.code(), 1),
                new Count("shop", h, EventKind.ACCEPTED.code(), 3), new Count("shop", h, EventKind.BOUNCED.code(), 1),
                new Count("shop", h, EventKind.ADMIN_DELETED.code(), 2),
                new Count("shop", h, EventKind.HARD_BOUNCE.code(), 1),
                new Count("shop", h, EventKind.COMPLAINED.code(), 1),
                new Count("shop", h, EventKind.SUPPRESSION_ADDED.code(), 2),
                new Count("shop", h.plusSeconds(3600), EventKind.DELIVERED.code(), 2)), null, h,
                h.plusSeconds(7200), Interval.HOUR);
        assertThat(JSON.readTree(doc.toString()).get("rows")).hasSize(3);
        assertThat(QueueFormat.stats(doc)).isEqualTo("""
                SENDER     START (UTC)           ACCEPTED  DELIVERED  DEFERRED  BOUNCED  EXPIRED  HELD  OTHER  HARD  SOFT  COMPLAINTS  AUTO-REPLIES  SUPPRESSED
                (no auth)  2026-12-04T10:00:00Z         1          0         0        0        0     0      0     0     0           0             0           0
                shop       2026-12-04T10:00:00Z         3          0         0        1        0     0      2     1     0           1             0           2
                shop       2026-12-04T11:00:00Z         0          2         0        0        0     0      0     0     0           0             0           0
                """);
    }

    @Test
    void historyPagesCarryTheCursorOfTheirLastEvent() {
        MessageId id = MessageId.parse("01M87Q6EK2EGYAYFR8SCGYMFDY");
        Instant t = Instant.parse("2026-12-04T10:00:00Z");
        List<HistoryEvent> three = List.of(
                new HistoryEvent(9, t, id.uuid(), EventKind.BOUNCED.code(), "a@x.test", 2, "mx.x.test",
                        "550 5.1.1 no\u001b[31m such user", null, null, "unknown_user", "hard"),
                new HistoryEvent(7, t, id.uuid(), EventKind.DEFERRED.code(), "a@x.test", 1, "mx.x.test", "451 later",
                        null, null),
                new HistoryEvent(3, t, id.uuid(), EventKind.ACCEPTED.code(), null, null, null, null, null, null));
        var page = EventsEndpoints.history("recipient", "a@x.test", three, 2);
        assertThat(page.get("events")).hasSize(2);
        assertThat(page.get("next").asText()).isEqualTo("7");
        assertThat(page.get("events").get(0).get("message").asText()).isEqualTo("01M87Q6EK2EGYAYFR8SCGYMFDY");
        assertThat(page.get("events").get(0).get("category").asText()).isEqualTo("unknown_user");
        assertThat(page.get("events").get(0).get("class").asText()).isEqualTo("hard");
        assertThat(page.get("events").get(1).get("category").isNull()).isTrue();
        assertThat(QueueFormat.history(page)).isEqualTo("""
                AT (UTC)              KIND      MESSAGE                     RECIPIENT  ATTEMPT  REMOTE HOST  CLASS                REPLY
                2026-12-04T10:00:00Z  bounced   01M87Q6EK2EGYAYFR8SCGYMFDY  a@x.test         2  mx.x.test    unknown_user (hard)  550 5.1.1 no [31m such user
                2026-12-04T10:00:00Z  deferred  01M87Q6EK2EGYAYFR8SCGYMFDY  a@x.test         1  mx.x.test    -                    451 later
                (more: --before 7)
                """);
        var last = EventsEndpoints.history("recipient", "a@x.test", three.subList(2, 3), 2);
        assertThat(last.get("next").isNull()).isTrue();
    }
}
