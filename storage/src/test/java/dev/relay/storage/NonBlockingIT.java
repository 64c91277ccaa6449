package dev.relay.storage;

import dev.relay.storage.testing.Released;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.TestDatabase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.r2dbc.pool.ConnectionPool;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import dev.relay.storage.testing.NonBlockingChecks;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Stores issued from Reactor's non-blocking threads must never block them (checked by BlockHound). */
class NonBlockingIT {
    private static TestDatabase db;
    private static ConnectionPool pool;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create("nonblocking");
        db.migrate().block(Duration.ofSeconds(60));
        pool = db.pool(3);
        NonBlockingChecks.install();
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void storesFromParallelThreadsNeverBlock() {
        List<ByteBuf> buffers = Collections.synchronizedList(new ArrayList<>());
        try (GroupCommitSpool spool = new GroupCommitSpool(pool, GroupCommitSettings.DEFAULT, SpoolObserver.NONE)) {
            Flux<Void> stores = Flux.range(0, 500).flatMap(i -> Mono.defer(() -> {
                ByteBuf content = Unpooled.copiedBuffer(new byte[] {i.byteValue()});
                buffers.add(content);
                return spool.store(new IncomingMessage(MessageId.newId(), "s@x", List.of("r" + i + "@x"), null,
                        Priority.BULK, Instant.now(), false, false, "127.0.0.1", "h", content));
            }).subscribeOn(Schedulers.parallel()), 50);
            StepVerifier.create(stores).expectComplete().verify(Duration.ofSeconds(60));
        }
        assertThat(buffers).hasSize(500);
        Released.await(buffers);
        StepVerifier.create(new SpoolReader(pool).countMessages()).expectNext(500L).verifyComplete();
    }
}
