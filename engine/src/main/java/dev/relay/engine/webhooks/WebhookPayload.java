package dev.relay.engine.webhooks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.storage.EventKind;
import dev.relay.storage.MessageId;
import dev.relay.storage.PgWebhooks.OutboxEvent;
import java.util.List;
import java.util.Objects;

/**
 * The body of one POST: a JSON array of events, each {@code id} (the event id: receivers de-duplicate on it, since
 * delivery is at least once), {@code time}, {@code kind}, {@code message} (our queue id), {@code recipient},
 * {@code attempt}, {@code remote_host}, {@code reply}, {@code sender} ('' without AUTH user), and the bounce
 * classifier's {@code category} and {@code class} (null for kinds without one, and for a write-back event posted
 * before its classification, which follows just after the write-back's COMMIT). Stateless.
 */
final class WebhookPayload {
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebhookPayload() {}

    /** Only events still stored ({@code kind} not null). */
    static byte[] body(List<OutboxEvent> events) {
        ArrayNode array = JSON.createArrayNode();
        for (OutboxEvent e : events) {
            Short kind = Objects.requireNonNull(e.kind(), "event no longer stored");
            ObjectNode o = array.addObject().put("id", e.eventId()).put("time", e.at().toString())
                    .put("kind", EventKind.labelOf(kind))
                    .put("message", e.messageId() == null ? null : new MessageId(e.messageId()).toString())
                    .put("recipient", e.recipient());
            if (e.attempt() == null) {
                o.putNull("attempt");
            } else {
                o.put("attempt", e.attempt());
            }
            o.put("remote_host", e.remoteHost()).put("reply", e.reply()).put("sender", e.sender())
                    .put("category", e.category()).put("class", e.bounceClass());
        }
        try {
            return JSON.writeValueAsBytes(array);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write webhook JSON", e);
        }
    }
}
