package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A drain seen from the outside, in process: while the relay stops, /readyz answers 503 with JSON saying so, the
 * listener takes no new session, an idle session is told 421 4.3.2, and a session in DATA finishes its message
 * (250, stored) and gets 421 4.3.2 to its next command; the drain then ends without waiting out its grace.
 */
class GracefulDrainIT {
    @Test
    void sessionInDataFinishesThenGets421AndReadyzSays503() throws Exception {
        try (TestRelay relay = TestRelay.startWithDatabase("gracefuldrain", "  shutdown_grace: 30s\n");
             SmtpTestClient inData = SmtpTestClient.connect(relay.smtp());
             SmtpTestClient idle = SmtpTestClient.connect(relay.smtp())) {
            HttpClient http = HttpClient.newHttpClient();
            URI readyz = URI.create("http://127.0.0.1:" + relay.http().getPort() + "/readyz");
            assertThat(get(http, readyz).statusCode()).isEqualTo(200);

            assertThat(idle.reply().code()).isEqualTo(220);
            assertThat(idle.command("EHLO idle.test").code()).isEqualTo(250);
            assertThat(inData.reply().code()).isEqualTo(220);
            assertThat(inData.command("EHLO busy.test").code()).isEqualTo(250);
            assertThat(inData.command("MAIL FROM:<app@shop.test>").code()).isEqualTo(250);
            assertThat(inData.command("RCPT TO:<user@example.test>").code()).isEqualTo(250);
            assertThat(inData.command("DATA").code()).isEqualTo(354);
            inData.send("Message-ID: <drain-1@shop.test>\r\nSubject: drain\r\n\r\nfirst half\r\n");

            long stopping = System.nanoTime();
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(relay::stopRelay);

            HttpResponse<String> notReady = awaitStatus(http, readyz, 503);
            JsonNode body = new ObjectMapper().readTree(notReady.body());
            assertThat(notReady.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(body.path("status").asText()).isEqualTo("not_ready");
            assertThat(body.path("draining").asBoolean()).isTrue();
            assertThat(body.path("smtp_listening").asBoolean()).isFalse();
            assertThat(body.path("database").asBoolean()).isTrue();

            SmtpTestClient.Reply told = idle.reply();
            assertThat(told.code()).isEqualTo(421);
            assertThat(told.text()).startsWith("4.3.2");
            assertThat(idle.isClosedByServer()).isTrue();

            assertThat(newSessionRefusedOr421(relay)).isTrue();

            SmtpTestClient.Reply queued = inData.command("second half\r\n.");
            assertThat(queued.code()).as("the message in DATA completes during the drain").isEqualTo(250);
            String id = queued.text().replaceAll(".*queued as ", "").trim();
            SmtpTestClient.Reply next = inData.command("MAIL FROM:<app@shop.test>");
            assertThat(next.code()).isEqualTo(421);
            assertThat(next.text()).startsWith("4.3.2");
            assertThat(inData.isClosedByServer()).isTrue();

            stopped.get(20, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stopping))
                    .as("the drain ended with its last session, not at the 30 s grace").isLessThan(20);
            assertThat(relay.spool().all().map(m -> m.id().toString()).collectList().block(Duration.ofSeconds(10)))
                    .containsExactly(id);
        }
    }

    /** A connection attempt during the drain is refused, or (accepted in a race) told 421 and closed. */
    private static boolean newSessionRefusedOr421(TestRelay relay) {
        try (SmtpTestClient late = SmtpTestClient.connect(relay.smtp())) {
            return late.reply().code() == 421;
        } catch (IOException refusedOrClosed) {
            return true;
        }
    }

    private static HttpResponse<String> awaitStatus(HttpClient http, URI uri, int status) throws Exception {
        HttpResponse<String> last = Await.awaitValue(Duration.ofSeconds(10), () -> get(http, uri),
                r -> r.statusCode() == status);
        assertThat(last.statusCode()).as("/readyz: %s", last.body()).isEqualTo(status);
        return last;
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) throws Exception {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
