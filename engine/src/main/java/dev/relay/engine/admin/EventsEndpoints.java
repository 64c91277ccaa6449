package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.relay.engine.admin.AdminApi.Answer;
import dev.relay.engine.config.Durations;
import dev.relay.storage.EventKind;
import dev.relay.storage.EventQueries;
import dev.relay.storage.EventQueries.Count;
import dev.relay.storage.EventQueries.HistoryEvent;
import dev.relay.storage.EventQueries.Interval;
import dev.relay.storage.MessageId;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * {@code GET /admin/stats} (counts per sender and minute, hour or day, from the rollups only) and {@code GET
 * /admin/history/messages/ID} / {@code /admin/history/recipients/ADDRESS} (events newest first, a page of
 * {@code limit} and a {@code next} cursor to pass as {@code before}). Stateless. A message is found by our queue id
 * or, when the key is not one, by its Message-ID (with or without angle brackets; every message accepted with it).
 */
final class EventsEndpoints {
    static final int DEFAULT_PAGE = 50;
    static final int MAX_PAGE = 1000;
    /** Bounds on one statistics answer: at most 2880 minute, ~750 hourly or ~400 daily buckets per sender. */
    static final Duration MAX_MINUTELY = Duration.ofDays(2);
    static final Duration MAX_HOURLY = Duration.ofDays(31);
    static final Duration MAX_DAILY = Duration.ofDays(400);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final EventQueries queries;
    private final Clock clock;

    EventsEndpoints(EventQueries queries, Clock clock) {
        this.queries = Objects.requireNonNull(queries, "queries");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * {@code ?sender=S&since=24h&by=minute|hour|day}; for a connected system ({@code system} not null) its own counts only,
     * whatever {@code sender} says.
     */
    Mono<Answer> stats(Map<String, List<String>> params, @Nullable String system) {
        return Mono.defer(() -> {
            String sender = system != null ? system : AdminApi.param(params, "sender");
            String byText = AdminApi.param(params, "by");
            Interval by = byText == null ? Interval.HOUR : interval(byText);
            String sinceText = AdminApi.param(params, "since");
            Duration since = sinceText == null ? Duration.ofHours(24) : Durations.parse(sinceText);
            Duration max = switch (by) {
                case MINUTE -> MAX_MINUTELY;
                case HOUR -> MAX_HOURLY;
                case DAY -> MAX_DAILY;
            };
            if (since.isZero() || since.compareTo(max) > 0) {
                throw new IllegalArgumentException("since must be a duration from 1s to " + max.toDays()
                        + "d with by=" + by.label() + ", was '" + sinceText + "'");
            }
            Instant now = clock.instant();
            Instant from = by.truncate(now.minus(since));
            return queries.counts(sender, from, now, by).collectList().map(counts -> Answer.ok(stats(counts, sender,
                    from, now, by)));
        });
    }

    static ObjectNode stats(List<Count> counts, @Nullable String sender, Instant from, Instant until, Interval by) {
        ObjectNode out = F.objectNode().put("by", by.label()).put("since", from.toString())
                .put("until", until.toString()).put("sender", sender);
        ArrayNode rows = out.putArray("rows");
        ObjectNode row = null;
        String rowKey = null;
        for (Count c : counts) {
            String key = c.sender() + "\u0000" + c.bucket();
            if (!key.equals(rowKey)) {
                rowKey = key;
                row = rows.addObject().put("sender", c.sender()).put("start", c.bucket().toString());
                row.putObject("counts");
            }
            ((ObjectNode) Objects.requireNonNull(row).get("counts")).put(EventKind.labelOf(c.kind()), c.n());
        }
        return out;
    }

    /**
     * {@code kind} is {@code messages} or {@code recipients}; {@code ?limit=N&before=CURSOR}. For a connected system
     * ({@code system} not null) only the events of messages it sent: a message of another system (or none) is a
     * 404, the same answer as an unknown one, so ids cannot be probed.
     */
    Mono<Answer> history(String kind, String key, Map<String, List<String>> params, @Nullable String system) {
        return Mono.defer(() -> {
            int limit = page(AdminApi.param(params, "limit"));
            Long before = cursor(AdminApi.param(params, "before"));
            var events = switch (kind) {
                case "messages" -> {
                    MessageId id = queueId(key);
                    if (system != null) {
                        yield id != null ? queries.ofMessage(id, before, limit + 1, system)
                                : queries.ofClientMessageId(clientMessageId(key), before, limit + 1, system);
                    }
                    yield id != null ? queries.ofMessage(id, before, limit + 1)
                            : queries.ofClientMessageId(clientMessageId(key), before, limit + 1);
                }
                case "recipients" -> system != null ? queries.ofRecipient(address(key), before, limit + 1, system)
                        : queries.ofRecipient(address(key), before, limit + 1);
                default -> throw new AdminApi.Refused(HttpResponseStatus.NOT_FOUND,
                        "history is by 'messages/ID' or 'recipients/ADDRESS', not '" + kind + "'");
            };
            boolean message = kind.equals("messages");
            return events.collectList().map(list -> system != null && message && list.isEmpty() && before == null
                    ? new Answer(HttpResponseStatus.NOT_FOUND, F.objectNode().put("error", "no such message"))
                    : Answer.ok(history(message ? "message" : "recipient", key, list, limit)));
        });
    }

    static ObjectNode history(String field, String key, List<HistoryEvent> page, int limit) {
        ObjectNode out = F.objectNode().put(field, key);
        ArrayNode events = out.putArray("events");
        for (HistoryEvent e : page.subList(0, Math.min(limit, page.size()))) {
            ObjectNode o = events.addObject().put("id", e.id()).put("at", e.at().toString())
                    .put("kind", EventKind.labelOf(e.kind()))
                    .put("message", e.messageId() == null ? null : new MessageId(e.messageId()).toString())
                    .put("recipient", e.recipient());
            if (e.attempt() == null) {
                o.putNull("attempt");
            } else {
                o.put("attempt", e.attempt());
            }
            o.put("remote_host", e.remoteHost()).put("reply", e.reply()).put("site", e.site())
                    .put("actor", e.actor()).put("category", e.category()).put("class", e.bounceClass());
        }
        out.put("next", page.size() > limit ? String.valueOf(page.get(limit - 1).id()) : null);
        return out;
    }

    private static Interval interval(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "minute" -> Interval.MINUTE;
            case "hour" -> Interval.HOUR;
            case "day" -> Interval.DAY;
            default -> throw new IllegalArgumentException("by must be minute, hour or day, was '" + text + "'");
        };
    }

    private static int page(@Nullable String text) {
        if (text == null) {
            return DEFAULT_PAGE;
        }
        try {
            int n = Integer.parseInt(text);
            if (n >= 1 && n <= MAX_PAGE) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("limit must be a number from 1 to " + MAX_PAGE + ", was '" + text + "'");
    }

    private static @Nullable Long cursor(@Nullable String text) {
        if (text == null) {
            return null;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("before must be the 'next' value of a previous page, was '" + text
                    + "'");
        }
    }

    /** Our queue id, or null when {@code text} is none (then it is a client's Message-ID). */
    private static @Nullable MessageId queueId(String text) {
        try {
            return MessageId.parse(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String clientMessageId(String text) {
        if (text.length() > 2 * dev.relay.storage.ClientMessageId.MAX_BYTES
                || dev.relay.storage.ClientMessageId.normalise(text) == null) {
            throw new IllegalArgumentException("neither a queue id nor a Message-ID: '" + text.substring(0,
                    Math.min(64, text.length())).replaceAll("\\p{Cntrl}", "?") + "'");
        }
        return text;
    }

    private static String address(String text) {
        if (text.length() > 320 || text.indexOf('@') < 1 || text.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw new IllegalArgumentException("not an address: '" + text.substring(0, Math.min(64, text.length()))
                    .replaceAll("\\p{Cntrl}", "?") + "'");
        }
        return text;
    }
}
