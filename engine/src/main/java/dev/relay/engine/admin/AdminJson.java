package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.storage.EventKind;
import dev.relay.storage.QueueEntry;
import dev.relay.storage.QueueRecords.Event;
import dev.relay.storage.QueueRecords.History;
import dev.relay.storage.QueueRecords.QueuedMessage;
import dev.relay.storage.QueueRecords.Removal;
import dev.relay.storage.QueueRecords.Suspension;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The admin API's JSON documents: snake_case fields, times as ISO-8601 UTC instants, absent values as null. The
 * CLI's tables read these same documents, so {@code --json} shows exactly what the tables are made of.
 */
final class AdminJson {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private AdminJson() {}

    static ObjectNode summary(QueueService.Summary summary) {
        ObjectNode out = F.objectNode();
        ArrayNode sites = out.putArray("sites");
        long total = 0;
        for (QueueService.SiteRow r : summary.rows()) {
            total += r.recipients();
            ObjectNode o = sites.addObject()
                    .put("site", r.site())
                    .put("priority", r.priority().name().toLowerCase(Locale.ROOT))
                    .put("recipients", r.recipients())
                    .put("in_flight", r.inFlight())
                    .put("deferred", r.deferred())
                    .put("queued", r.recipients() - r.inFlight() - r.deferred())
                    .put("oldest_received_at", time(r.oldestReceivedAt()))
                    .put("next_attempt_at", time(r.nextAttemptAt()))
                    .put("suspended", r.suspension() != null);
            o.put("suspended_until", r.suspension() == null ? null : time(r.suspension().until()));
        }
        out.put("recipients", total);
        out.set("suspensions", suspensions(summary.suspensions()).get("suspensions"));
        return out;
    }

    static ObjectNode suspensions(List<Suspension> list) {
        ObjectNode out = F.objectNode();
        ArrayNode a = out.putArray("suspensions");
        list.forEach(s -> a.add(suspension(s)));
        return out;
    }

    static ObjectNode suspension(Suspension s) {
        return F.objectNode().put("site", s.site()).put("until", time(s.until())).put("reason", s.reason())
                .put("created_by", s.createdBy()).put("created_at", time(s.createdAt()));
    }

    /** {@code list} may hold one entry more than {@code limit}: then it is cut and marked truncated. */
    static ObjectNode list(List<QueueEntry> list, int limit) {
        ObjectNode out = F.objectNode();
        ArrayNode a = out.putArray("recipients");
        list.stream().limit(limit).forEach(e -> a.add(entry(e)));
        return out.put("limit", limit).put("truncated", list.size() > limit);
    }

    static ObjectNode entry(QueueEntry e) {
        return F.objectNode()
                .put("id", e.messageId().toString())
                .put("index", e.index())
                .put("recipient", e.address())
                .put("domain", e.domain())
                .put("site", e.site())
                .put("state", e.state().label())
                .put("node", e.claimedBy())
                .put("attempts", e.attempts())
                .put("next_attempt_at", time(e.nextAttemptAt()))
                .put("last_reply", e.lastReply())
                .put("priority", e.priority().name().toLowerCase(Locale.ROOT))
                .put("sender", e.reversePath())
                .put("received_at", time(e.receivedAt()));
    }

    static ObjectNode history(History h) {
        ObjectNode out = F.objectNode().put("id", h.id().toString()).put("in_queue", h.message() != null);
        QueuedMessage m = h.message();
        if (m == null) {
            out.putNull("message");
        } else {
            out.putObject("message")
                    .put("sender", m.reversePath())
                    .put("account", m.account())
                    .put("priority", m.priority().name().toLowerCase(Locale.ROOT))
                    .put("received_at", time(m.receivedAt()))
                    .put("size", m.size())
                    .put("client_address", m.clientAddress())
                    .put("helo", m.helo());
        }
        ArrayNode recipients = out.putArray("recipients");
        if (m != null) {
            m.recipients().forEach(e -> recipients.add(entry(e)));
        }
        ArrayNode events = out.putArray("events");
        for (Event e : h.events()) {
            ObjectNode o = events.addObject().put("at", time(e.at())).put("kind", EventKind.labelOf(e.kind()))
                    .put("recipient", e.recipient());
            if (e.attempt() == null) {
                o.putNull("attempt");
            } else {
                o.put("attempt", e.attempt());
            }
            o.put("remote_host", e.remoteHost()).put("reply", e.reply()).put("site", e.site())
                    .put("actor", e.actor());
        }
        return out;
    }

    /**
     * 404 when the message is not queued, 409 when every recipient left is in flight (nothing done), else 200 with
     * the recipients removed under {@code field} and those left to their node.
     */
    static Answer removal(Removal r, String field, @Nullable Boolean dsn) {
        if (!r.found()) {
            return new Answer(HttpResponseStatus.NOT_FOUND, F.objectNode().put("error", "no message " + r.id()
                    + " in the queue"));
        }
        ObjectNode out = F.objectNode().put("id", r.id().toString());
        ArrayNode removed = out.putArray(field);
        r.removed().forEach(removed::add);
        ArrayNode inFlight = out.putArray("in_flight");
        r.inFlight().forEach(e -> inFlight.addObject().put("recipient", e.address()).put("node", e.claimedBy()));
        if (dsn != null) {
            out.put("dsn", dsn);
        }
        if (r.removed().isEmpty()) {
            out.put("error", "every recipient left is in flight on a node; they end with their delivery attempt"
                    + " (try again after it, or suspend the site first)");
            return new Answer(HttpResponseStatus.CONFLICT, out);
        }
        return Answer.ok(out);
    }

    private static @Nullable String time(@Nullable Instant t) {
        return t == null ? null : t.toString();
    }
}
