package dev.relay.storage;

import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Reads messages back from the spool (tests, inspection, later the scheduler). */
public final class SpoolReader {
    private static final String SELECT = "SELECT m.id, m.reverse_path, m.account, m.priority, m.received_at, m.size,"
            + " m.content, m.client_address, m.helo, m.body_8bit, m.smtputf8,"
            + " (SELECT array_agg(r.address ORDER BY r.idx) FROM recipient r WHERE r.message_id = m.id) AS rcpts"
            + " FROM message m";

    private final Statements statements;

    public SpoolReader(ConnectionFactory cf) {
        this.statements = new Statements(Objects.requireNonNull(cf, "cf"), "spool reader");
    }

    public Mono<StoredMessage> find(MessageId id) {
        return statements.one(c -> c.createStatement(SELECT + " WHERE m.id = $1").bind(0, id.uuid()),
                SpoolReader::toMessage);
    }

    public Mono<Long> countMessages() {
        return statements.one(c -> c.createStatement("SELECT count(*) FROM message"),
                row -> Objects.requireNonNull(row.get(0, Long.class)));
    }

    /** Every message, in id (acceptance) order. */
    public Flux<StoredMessage> all() {
        return statements.many(c -> c.createStatement(SELECT + " ORDER BY m.id"), SpoolReader::toMessage);
    }

    private static StoredMessage toMessage(Row row) {
        String[] rcpts = row.get("rcpts", String[].class);
        byte[] bytes = Statements.bytes(Objects.requireNonNull(row.get("content", ByteBuffer.class)));
        OffsetDateTime received = Objects.requireNonNull(row.get("received_at", OffsetDateTime.class));
        Instant receivedAt = received.toInstant();
        return new StoredMessage(
                new MessageId(Objects.requireNonNull(row.get("id", UUID.class))),
                Objects.requireNonNull(row.get("reverse_path", String.class)),
                rcpts == null ? List.of() : Arrays.asList(rcpts),
                row.get("account", String.class),
                Priority.fromCode(Objects.requireNonNull(row.get("priority", Short.class))),
                receivedAt,
                Objects.requireNonNull(row.get("size", Integer.class)),
                bytes,
                Objects.requireNonNull(row.get("client_address", String.class)),
                Objects.requireNonNull(row.get("helo", String.class)),
                Objects.requireNonNull(row.get("body_8bit", Boolean.class)),
                Objects.requireNonNull(row.get("smtputf8", Boolean.class)));
    }
}
