package dev.relay.engine.sink;

import static dev.relay.engine.testing.Submissions.submit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.testing.Await;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The README's first delivery: the relay routes to {@code relay sink}, which writes the message to a file. */
class SinkServerIT {
    @Test
    void relayDeliversIntoTheSinkDirectory() throws Exception {
        Path dir = Files.createTempDirectory("sink");
        List<String> reports = new CopyOnWriteArrayList<>();
        try (SinkServer sink = new SinkServer(dir, reports::add)) {
            InetSocketAddress address = sink.start(new InetSocketAddress("127.0.0.1", 0));
            try (TestRelay relay = TestRelay.startWithDatabase("sink", "", "delivery:\n  routes: {\"*\": \"127.0.0.1:"
                    + address.getPort() + " tls=disabled\"}\n  poll_interval: 200ms\n")) {
                submit(relay.smtp(), "app@shop.test", "<sink@t>", "someone@example.test", "other@example.test");
                Path file = dir.resolve("1.eml");
                // the report comes once the file is written whole; the file exists (possibly partly written) before
                Await.awaitTrue(Duration.ofSeconds(20), () -> reports.size() == 1);
                String text = Files.readString(file, StandardCharsets.UTF_8);
                assertThat(text).startsWith("X-Sink-Mail-From: FROM:<app@shop.test>")
                        .contains("X-Sink-Rcpt-To: TO:<someone@example.test>, TO:<other@example.test>",
                                "Received: from app.test", "Message-ID: <sink@t>");
                assertThat(reports).hasSize(1);
            }
        }
    }
}
