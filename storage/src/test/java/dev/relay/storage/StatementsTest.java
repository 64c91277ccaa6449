package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The shared plumbing's error mapping and bound, without a database (the connection never comes). */
class StatementsTest {
    private static ConnectionFactory failing(Throwable error) {
        return factory(Mono.error(error));
    }

    private static ConnectionFactory factory(Mono<Connection> connection) {
        return new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
                return connection;
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "fake";
            }
        };
    }

    @Test
    void everyCallReportsAFailureAsUnavailableNamedAfterTheStoreKeepingItsClass() {
        Throwable refused = new R2dbcNonTransientResourceException("connection refused", "08001", 0);
        Statements statements = new Statements(failing(refused), "delivery store");
        for (var call : java.util.List.of(
                statements.update(c -> c.createStatement("UPDATE x SET y = 1")),
                statements.one(c -> c.createStatement("SELECT 1"), row -> 1),
                statements.many(c -> c.createStatement("SELECT 1"), row -> 1).then(),
                statements.withConnection(c -> Mono.just(1), Duration.ofSeconds(1)))) {
            StepVerifier.create(call).expectErrorSatisfies(e -> {
                assertThat(e).isInstanceOf(SpoolUnavailableException.class)
                        .hasMessage("delivery store failed: connection refused").hasCause(refused);
                assertThat(StorageErrors.isTransient(e)).isTrue();
            }).verify(Duration.ofSeconds(5));
        }
        Throwable bug = new R2dbcBadGrammarException("syntax error", "42601", 0);
        StepVerifier.create(new Statements(failing(bug), "queue admin").update(c -> c.createStatement("x")))
                .expectErrorSatisfies(e -> assertThat(StorageErrors.isTransient(e)).isFalse())
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void anUnavailableErrorPassesThroughUnwrapped() {
        SpoolUnavailableException full = new SpoolUnavailableException("record queue full");
        StepVerifier.create(new Statements(failing(full), "delivery store").update(c -> c.createStatement("x")))
                .expectErrorSatisfies(e -> assertThat(e).isSameAs(full))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aCallThatGetsNoConnectionEndsTransientlyAtItsBound() {
        StepVerifier.withVirtualTime(() -> new Statements(factory(Mono.never()), "spool reader",
                        Duration.ofSeconds(30)).one(c -> c.createStatement("SELECT 1"), row -> 1))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(29))
                .thenAwait(Duration.ofSeconds(1))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(SpoolUnavailableException.class)
                            .hasCauseInstanceOf(TimeoutException.class);
                    assertThat(StorageErrors.isTransient(e)).isTrue();
                })
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void aBoundMustBePositive() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Statements(failing(new Exception()), "x",
                Duration.ZERO)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeout");
    }
}
