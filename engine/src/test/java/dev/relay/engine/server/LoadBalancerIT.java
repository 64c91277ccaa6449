package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.relay.engine.testing.RelayProcess;
import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.StoredMessage;
import dev.relay.storage.testing.Await;
import dev.relay.storage.testing.TestDatabase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Two relay nodes sharing one PostgreSQL behind a real HAProxy (Debian package {@code haproxy}; .ci/run installs
 * it), one backend with PROXY v2 and one with v1. The client connects from 127.0.0.2; HAProxy from 127.0.0.1.
 * Only 127.0.0.2 may relay, so every accepted message proves the nodes saw the original client.
 */
class LoadBalancerIT {

    @Test
    void submissionsThroughHaproxyKeepTheOriginalClientAddress() throws Exception {
        Path haproxy = Path.of("/usr/sbin/haproxy");
        assumeTrue(Files.isExecutable(haproxy), "haproxy is not installed (apt-get install haproxy)");
        try (TestDatabase database = TestDatabase.create("lb");
                TestRelay first = TestRelay.start(database, node("node1.test"));
                TestRelay second = TestRelay.start(database, node("node2.test"))) {
            int port = RelayProcess.freePort();
            Path config = first.directory().resolve("haproxy-" + UUID.randomUUID() + ".cfg");
            Files.writeString(config, String.join("\n",
                    "global",
                    "  maxconn 200",
                    "defaults",
                    "  mode tcp",
                    "  timeout connect 5s",
                    "  timeout client 30s",
                    "  timeout server 30s",
                    "frontend smtp",
                    "  bind 127.0.0.1:" + port,
                    "  default_backend relays",
                    "backend relays",
                    "  balance roundrobin",
                    "  server n1 127.0.0.1:" + first.smtp().getPort() + " send-proxy-v2",
                    "  server n2 127.0.0.1:" + second.smtp().getPort() + " send-proxy",
                    ""));
            Process balancer = new ProcessBuilder(haproxy.toString(), "-db", "-f", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(first.directory().resolve("haproxy.log").toFile())
                    .start();
            try {
                InetSocketAddress front = new InetSocketAddress("127.0.0.1", port);
                awaitListening(front, balancer);
                InetAddress client = InetAddress.getByName("127.0.0.2");
                for (int i = 0; i < 6; i++) {
                    try (SmtpTestClient smtp = new SmtpTestClient(front, client)) {
                        assertThat(smtp.reply().code()).isEqualTo(220);
                        smtp.command("EHLO app.test");
                        smtp.command("MAIL FROM:<app@shop.test>");
                        assertThat(smtp.command("RCPT TO:<c" + i + "@example.test>").code()).isEqualTo(250);
                        smtp.command("DATA");
                        assertThat(smtp.command("Subject: lb " + i + "\r\n\r\nhi\r\n.").code()).isEqualTo(250);
                        smtp.command("QUIT");
                    }
                }
            } finally {
                balancer.destroy();
                balancer.waitFor(10, TimeUnit.SECONDS);
            }
            List<StoredMessage> stored = new SpoolReader(database.pool(2)).all().collectList()
                    .block(Duration.ofSeconds(10));
            assertThat(stored).hasSize(6).allSatisfy(m -> assertThat(m.clientAddress()).isEqualTo("127.0.0.2"));
            Set<String> nodes = stored.stream()
                    .map(m -> new String(m.content(), StandardCharsets.UTF_8))
                    .map(text -> text.contains("by node1.test") ? "node1" : text.contains("by node2.test") ? "node2" : "?")
                    .collect(Collectors.toSet());
            assertThat(nodes).as("both nodes took mail").containsExactlyInAnyOrder("node1", "node2");
        }
    }

    private static String node(String hostname) {
        return "  hostname: " + hostname + "\n  proxy_protocol_from: [127.0.0.1/32]\n"
                + "  relay_networks: [127.0.0.2/32]\n";
    }

    private static void awaitListening(InetSocketAddress address, Process process) {
        Await.awaitTrue("haproxy listening on " + address, Duration.ofSeconds(20), () -> {
            assertThat(process.isAlive()).as("haproxy running").isTrue();
            try (java.net.Socket socket = new java.net.Socket()) {
                socket.connect(address, 500);
                return true;
            } catch (IOException notYet) {
                return false;
            }
        });
    }
}
