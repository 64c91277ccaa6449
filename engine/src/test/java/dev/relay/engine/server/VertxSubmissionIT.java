package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.StoredMessage;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.MailResult;
import io.vertx.ext.mail.StartTLSOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Submission the way an application does it: an independent client (Vert.x Mail Client) with STARTTLS required
 * and AUTH PLAIN, several pooled connections, with and without PIPELINING. Every message it was told is sent is
 * in the spool with its headers and body.
 */
class VertxSubmissionIT {
    private static TestRelay relay;
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        relay = TestRelay.startWithDatabase("vertx", "  relay_networks: []\n");
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void submitsWithStartTlsAuthPlainAndPipelining() throws Exception {
        submitAndVerify(true, "pipelined");
    }

    @Test
    void submitsWithoutPipelining() throws Exception {
        submitAndVerify(false, "lockstep");
    }

    private void submitAndVerify(boolean pipelining, String tag) throws Exception {
        MailConfig config = new MailConfig()
                .setHostname(relay.smtp().getHostString())
                .setPort(relay.smtp().getPort())
                .setStarttls(StartTLSOptions.REQUIRED)
                .setLogin(LoginOption.REQUIRED)
                .setAuthMethods("PLAIN")
                .setUsername(TestRelay.USER)
                .setPassword(TestRelay.PASSWORD)
                .setTrustAll(true)
                .setOwnHostname("app.test")
                .setMaxPoolSize(5)
                .setKeepAlive(true)
                .setPipelining(pipelining);
        MailClient client = MailClient.create(vertx, config);
        int count = 40;
        List<Future<MailResult>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MailMessage message = new MailMessage()
                    .setFrom("orders@shop.test")
                    .setTo(List.of("customer" + i + "@example.test", "copy" + i + "@example.test"))
                    .setSubject(tag + " order " + i)
                    .setText("Thank you for order " + i + ".\n.A line starting with a dot\n");
            sent.add(client.sendMail(message));
        }
        List<MailResult> results = new ArrayList<>();
        for (Future<MailResult> future : sent) {
            results.add(future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
        }
        // close() sends QUIT on every pooled connection and completes when each got its reply: the relay must
        // answer QUIT on a connection that has sat in the client's pool (CI once saw Vertx.close() time out here)
        client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

        Map<String, StoredMessage> bySubject = relay.spool().all()
                .collectList().block(Duration.ofSeconds(20)).stream()
                .filter(m -> text(m).contains("Subject: " + tag + " order "))
                .collect(Collectors.toMap(m -> subject(text(m)), Function.identity()));
        assertThat(bySubject).hasSize(count);
        for (int i = 0; i < count; i++) {
            StoredMessage stored = bySubject.get(tag + " order " + i);
            assertThat(stored).as("order %d", i).isNotNull();
            assertThat(stored.reversePath()).isEqualTo("orders@shop.test");
            assertThat(stored.recipients()).containsExactly("customer" + i + "@example.test",
                    "copy" + i + "@example.test");
            assertThat(stored.account()).isEqualTo(TestRelay.USER);
            assertThat(text(stored)).contains("with ESMTPSA id ", "Thank you for order " + i + ".",
                    "\r\n.A line starting with a dot");
            assertThat(text(stored)).contains("Message-ID: <" + results.get(i).getMessageID().replaceAll("[<>]", ""));
        }
    }

    private static String text(StoredMessage message) {
        return new String(message.content(), StandardCharsets.UTF_8);
    }

    private static String subject(String text) {
        int start = text.indexOf("Subject: ") + "Subject: ".length();
        return text.substring(start, text.indexOf("\r\n", start));
    }
}
