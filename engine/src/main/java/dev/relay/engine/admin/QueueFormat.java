package dev.relay.engine.admin;

import static dev.relay.engine.admin.QueueCommand.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/** The admin API's JSON documents as text for people: aligned tables, times as ages and countdowns. */
final class QueueFormat {
    private QueueFormat() {}

    /** Prints the answer to {@code command}; returns the exit code (1 when recipients were left in flight). */
    static int print(String command, JsonNode body, PrintStream out, PrintStream err) {
        Instant now = Clock.systemUTC().instant();
        switch (command) {
            case "summary" -> out.print(summary(body, now));
            case "list" -> out.print(list(body, now));
            case "show" -> out.print(show(body, now));
            case "flush" -> out.println(body.get("flushed").asLong() + " recipients due now"
                    + (body.get("domain").isNull() ? "" : " (domain " + text(body, "domain") + ")"));
            case "suspend" -> out.println("suspended site " + text(body, "site") + " " + until(body.get("until"))
                    + ": " + text(body, "reason"));
            case "resume" -> out.println("resumed site " + text(body, "site") + "; " + body.get("flushed").asLong()
                    + " recipients due now");
            case "bounce" -> out.println("bounced " + body.get("bounced").size() + " recipients of "
                    + text(body, "id") + (body.get("dsn").asBoolean() ? "; a DSN to the sender is queued"
                    : "; no DSN (null sender)"));
            case "delete" -> out.println("deleted " + body.get("deleted").size() + " recipients of "
                    + text(body, "id") + " (no DSN)");
            case "stats" -> out.print(stats(body));
            case "history" -> out.print(history(body));
            default -> throw new IllegalArgumentException(command);
        }
        int code = exitCode(command, body);
        if (code != 0) {
            err.print(inFlight(body));
        }
        return code;
    }

    /** 1 when a bounce or delete left recipients in flight (the operator's intent is not done yet). */
    static int exitCode(String command, JsonNode body) {
        JsonNode inFlight = body.get("in_flight");
        return (command.equals("bounce") || command.equals("delete")) && inFlight != null && !inFlight.isEmpty()
                ? 1 : 0;
    }

    static String inFlight(JsonNode body) {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : body.get("in_flight")) {
            b.append("left alone, in flight on node ").append(text(e, "node")).append(": ")
                    .append(text(e, "recipient")).append('\n');
        }
        if (b.length() > 0) {
            b.append("(they end with their delivery attempt; run the command again afterwards, or suspend the site"
                    + " first so they return to the queue)\n");
        }
        return b.toString();
    }

    /** The kinds a statistics table has a column for; any other kind seen goes to OTHER. */
    private static final java.util.List<String> STAT_KINDS = java.util.List.of("accepted", "delivered", "deferred",
            "bounced", "expired", "held");
    /**
     * Shown in columns of their own after OTHER: bounced ones again by class (so never in OTHER), complaints and
     * automatic replies from the bounce intake, and suppressions added.
     */
    private static final java.util.List<String> CLASS_KINDS = java.util.List.of("hard_bounce", "soft_bounce",
            "complained", "auto_replied", "suppression_added");

    static String stats(JsonNode body) {
        Table t = new Table("SENDER", "START (UTC)", "ACCEPTED>", "DELIVERED>", "DEFERRED>", "BOUNCED>", "EXPIRED>",
                "HELD>", "OTHER>", "HARD>", "SOFT>", "COMPLAINTS>", "AUTO-REPLIES>", "SUPPRESSED>");
        for (JsonNode r : body.get("rows")) {
            JsonNode counts = r.get("counts");
            Object[] cells = new Object[9 + CLASS_KINDS.size()];
            cells[0] = text(r, "sender").isEmpty() ? "(no auth)" : text(r, "sender");
            cells[1] = text(r, "start");
            long other = 0;
            for (var it = counts.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!STAT_KINDS.contains(e.getKey()) && !CLASS_KINDS.contains(e.getKey())) {
                    other += e.getValue().asLong();
                }
            }
            for (int i = 0; i < STAT_KINDS.size(); i++) {
                JsonNode n = counts.get(STAT_KINDS.get(i));
                cells[2 + i] = n == null ? 0L : n.asLong();
            }
            cells[8] = other;
            for (int i = 0; i < CLASS_KINDS.size(); i++) {
                JsonNode n = counts.get(CLASS_KINDS.get(i));
                cells[9 + i] = n == null ? 0L : n.asLong();
            }
            t.row(cells);
        }
        return t.isEmpty() ? "no events since " + text(body, "since") + "\n" : t.render();
    }

    static String history(JsonNode body) {
        Table t = new Table("AT (UTC)", "KIND", "MESSAGE", "RECIPIENT", "ATTEMPT>", "REMOTE HOST", "CLASS", "REPLY");
        for (JsonNode e : body.get("events")) {
            String category = text(e, "category");
            t.row(text(e, "at"), text(e, "kind"), text(e, "message"), text(e, "recipient"), text(e, "attempt"),
                    text(e, "remote_host"), category.equals("-") || text(e, "class").equals("-") ? category
                            : category + " (" + text(e, "class") + ")",
                    text(e, "reply"));
        }
        String next = text(body, "next");
        return (t.isEmpty() ? "no events\n" : t.render())
                + (next.equals("-") ? "" : "(more: --before " + next + ")\n");
    }

    static String summary(JsonNode body, Instant now) {
        StringBuilder out = new StringBuilder();
        Table t = new Table("SITE", "PRIORITY", "RECIPIENTS>", "IN FLIGHT>", "DEFERRED>", "OLDEST", "NEXT ATTEMPT",
                "SUSPENDED");
        for (JsonNode s : body.get("sites")) {
            t.row(text(s, "site"), text(s, "priority"), s.get("recipients").asLong(), s.get("in_flight").asLong(),
                    s.get("deferred").asLong(), age(s.get("oldest_received_at"), now),
                    countdown(s.get("next_attempt_at"), now),
                    s.get("suspended").asBoolean() ? until(s.get("suspended_until")) : "no");
        }
        out.append(t.isEmpty() ? "the queue is empty\n"
                : t.render() + body.get("recipients").asLong() + " recipients\n");
        Table suspended = new Table("SUSPENDED SITE", "UNTIL", "REASON", "BY", "SINCE");
        for (JsonNode s : body.get("suspensions")) {
            suspended.row(text(s, "site"), until(s.get("until")), text(s, "reason"), text(s, "created_by"),
                    age(s.get("created_at"), now) + " ago");
        }
        if (!suspended.isEmpty()) {
            out.append('\n').append(suspended.render());
        }
        return out.toString();
    }

    static String list(JsonNode body, Instant now) {
        Table t = new Table("ID", "STATE", "ATTEMPTS>", "NEXT ATTEMPT", "AGE", "SITE", "RECIPIENT", "SENDER",
                "LAST REPLY");
        for (JsonNode e : body.get("recipients")) {
            t.row(text(e, "id"), text(e, "state") + (e.get("node").isNull() ? "" : "@" + text(e, "node")),
                    e.get("attempts").asInt(), text(e, "state").equals("in_flight") ? "-"
                            : countdown(e.get("next_attempt_at"), now),
                    age(e.get("received_at"), now), text(e, "site"), text(e, "recipient"), sender(e),
                    text(e, "last_reply"));
        }
        if (t.isEmpty()) {
            return "no recipients match\n";
        }
        return t.render() + (body.get("truncated").asBoolean()
                ? "(the first " + body.get("limit").asInt() + " shown; --limit shows more)\n" : "");
    }

    static String show(JsonNode body, Instant now) {
        StringBuilder out = new StringBuilder();
        out.append("id:        ").append(text(body, "id")).append('\n');
        JsonNode m = body.get("message");
        if (m.isNull()) {
            out.append("in queue:  no (its history follows)\n");
        } else {
            out.append("in queue:  yes\n");
            out.append("sender:    ").append(sender(m)).append('\n');
            out.append("account:   ").append(text(m, "account")).append('\n');
            out.append("priority:  ").append(text(m, "priority")).append('\n');
            out.append("received:  ").append(text(m, "received_at")).append(" (")
                    .append(age(m.get("received_at"), now)).append(" ago)\n");
            out.append("size:      ").append(m.get("size").asLong()).append(" bytes\n");
            out.append("client:    ").append(text(m, "client_address")).append(" (HELO ")
                    .append(Table.clean(text(m, "helo"))).append(")\n");
            Table r = new Table("RECIPIENT", "STATE", "ATTEMPTS>", "NEXT ATTEMPT", "SITE", "NODE", "LAST REPLY");
            for (JsonNode e : body.get("recipients")) {
                r.row(text(e, "recipient"), text(e, "state"), e.get("attempts").asInt(),
                        text(e, "state").equals("in_flight") ? "-" : countdown(e.get("next_attempt_at"), now),
                        text(e, "site"), text(e, "node"), text(e, "last_reply"));
            }
            out.append('\n').append(r.render());
        }
        Table ev = new Table("AT", "EVENT", "RECIPIENT", "ATTEMPT>", "HOST", "REPLY", "BY");
        for (JsonNode e : body.get("events")) {
            ev.row(text(e, "at"), text(e, "kind"), text(e, "recipient"), text(e, "attempt"), text(e, "remote_host"),
                    text(e, "reply"), text(e, "actor"));
        }
        out.append('\n').append(ev.isEmpty() ? "no events\n" : ev.render());
        return out.toString();
    }

    private static String sender(JsonNode n) {
        return "<" + text(n, "sender") + ">";
    }

    private static String until(JsonNode until) {
        return until == null || until.isNull() ? "until resumed" : "until " + until.asText();
    }

    /** How long ago {@code time} was: {@code 42s}, {@code 3m12s}, {@code 2h05m}, {@code 4d03h}. */
    static String age(JsonNode time, Instant now) {
        if (time == null || time.isNull()) {
            return "-";
        }
        return span(Duration.between(Instant.parse(time.asText()), now));
    }

    /** When {@code time} comes: {@code now} when due, else {@code in 4m30s}. */
    static String countdown(JsonNode time, Instant now) {
        if (time == null || time.isNull()) {
            return "-";
        }
        Duration d = Duration.between(now, Instant.parse(time.asText()));
        return d.isNegative() || d.isZero() ? "now" : "in " + span(d);
    }

    static String span(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format("%02ds", s % 60);
        }
        if (s < 86400) {
            return (s / 3600) + "h" + String.format("%02dm", (s % 3600) / 60);
        }
        return (s / 86400) + "d" + String.format("%02dh", (s % 86400) / 3600);
    }
}
