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

    private final ConnectionFactory cf;

    public SpoolReader(ConnectionFactory cf) {
        this.cf = Objects.requireNonNull(cf, "cf");
    }

    public Mono<StoredMessage> find(MessageId id) {
        return Database.withConnection(cf, c -> Flux.from(c.createStatement(SELECT + " WHERE m.id = $1")
                .bind(0, id.uuid()).execute()).flatMap(r -> r.map((row, meta) -> toMessage(row))).next());
    }

    public Mono<Long> countMessages() {
        return Database.withConnection(cf, c -> Flux.from(c.createStatement("SELECT count(*) FROM message").execute())
                .flatMap(r -> r.map((row, meta) -> Objects.requireNonNull(row.get(0, Long.class)))).next());
    }

    /** Every message, in id (acceptance) order. */
    public Flux<StoredMessage> all() {
        return Flux.usingWhen(cf.create(), c -> Flux.from(c.createStatement(SELECT + " ORDER BY m.id").execute())
                .flatMap(r -> r.map((row, meta) -> toMessage(row))), io.r2dbc.spi.Connection::close);
    }

    private static StoredMessage toMessage(Row row) {
        String[] rcpts = row.get("rcpts", String[].class);
        ByteBuffer content = Objects.requireNonNull(row.get("content", ByteBuffer.class));
        byte[] bytes = new byte[content.remaining()];
        content.get(bytes);
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
