package dev.relay.engine.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.storage.EventKind;
import dev.relay.storage.PgWebhooks.OutboxEvent;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The POST body: every event field, the bounce classification included. */
class WebhookPayloadTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eventsCarryTheirCategoryAndClassOrNullWithoutOne() throws Exception {
        Instant at = Instant.parse("2026-12-05T02:00:00Z");
        UUID message = UUID.fromString("00000000-0000-0000-0000-000000000001");
        JsonNode body = JSON.readTree(WebhookPayload.body(List.of(
                new OutboxEvent(1, 10, at, "shop", 0, at, EventKind.BOUNCED.code(), message, "a@x.example", 1,
                        "mx.x.example", "550 5.1.1 no such user", "unknown_user", "hard"),
                new OutboxEvent(2, 11, at, "shop", 0, at, EventKind.DELIVERED.code(), message, "b@x.example", 1,
                        "mx.x.example", "250 ok", null, null))));
        assertThat(body).hasSize(2);
        JsonNode bounced = body.get(0);
        assertThat(bounced.get("id").asLong()).isEqualTo(10);
        assertThat(bounced.get("kind").asText()).isEqualTo("bounced");
        assertThat(bounced.get("category").asText()).isEqualTo("unknown_user");
        assertThat(bounced.get("class").asText()).isEqualTo("hard");
        assertThat(body.get(1).get("category").isNull()).isTrue();
        assertThat(body.get(1).get("class").isNull()).isTrue();
    }
}
