package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.testing.SmtpTestClient;
import dev.relay.engine.testing.SmtpTestClient.Reply;
import dev.relay.engine.testing.TestRelay;
import dev.relay.storage.MessageId;
import dev.relay.storage.StoredMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relay behind a load balancer: connections from {@code proxy_protocol_from} (here loopback) start with a
 * PROXY v1 or v2 header, and the client it names is the one relay rights, the spool and the Received header see.
 */
class ProxyProtocolIT {
    private static TestRelay relay;

    @BeforeAll
    static void start() {
        relay = TestRelay.startWithDatabase("proxy", "  proxy_protocol_from: [127.0.0.0/8]\n  relay_networks: [198.51.100.0/24]\n");
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void versionOneHeaderNamesTheClientForRelayRightsAndTheSpool() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.send("PROXY TCP4 198.51.100.9 127.0.0.1 40000 2525\r\n");
            assertThat(client.reply().code()).isEqualTo(220);
            Reply ehlo = client.command("EHLO app.test");
            assertThat(ehlo.lines().get(0)).contains("[198.51.100.9]");
            StoredMessage message = send(client);
            assertThat(message.clientAddress()).isEqualTo("198.51.100.9");
            assertThat(new String(message.content(), StandardCharsets.UTF_8))
                    .startsWith("Received: from app.test ([198.51.100.9])");
        }
    }

    @Test
    void versionTwoHeaderIsUnderstoodToo() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.sendBytes(v2Header(new byte[] {(byte) 198, 51, 100, 10}, new byte[] {127, 0, 0, 1}));
            assertThat(client.reply().code()).isEqualTo(220);
            client.command("EHLO app.test");
            assertThat(send(client).clientAddress()).isEqualTo("198.51.100.10");
        }
    }

    @Test
    void clientOutsideRelayNetworksIsStillRefused() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.send("PROXY TCP4 203.0.113.7 127.0.0.1 40000 2525\r\n");
            client.reply();
            client.command("EHLO outsider.test");
            client.command("MAIL FROM:<a@outsider.test>");
            Reply reply = client.command("RCPT TO:<b@example.test>");
            assertThat(reply.code()).isEqualTo(554);
            assertThat(reply.text()).startsWith("5.7.1");
        }
    }

    @Test
    void perAddressLimitsCountTheClientTheHeaderNamesNotTheLoadBalancer() throws IOException {
        java.util.List<SmtpTestClient> kept = new java.util.ArrayList<>();
        try {
            // All from the one load balancer address; 50 (the default smtp.client_limits.max_connections_per_ip)
            // from one client it names.
            for (int i = 0; i < 50; i++) {
                SmtpTestClient client = SmtpTestClient.connect(relay.smtp());
                kept.add(client);
                client.send("PROXY TCP4 203.0.113.20 127.0.0.1 " + (40000 + i) + " 2525\r\n");
                assertThat(client.reply().code()).isEqualTo(220);
            }
            try (SmtpTestClient extra = SmtpTestClient.connect(relay.smtp())) {
                extra.send("PROXY TCP4 203.0.113.20 127.0.0.1 41000 2525\r\n");
                Reply refused = extra.reply();
                assertThat(refused.code()).isEqualTo(421);
                assertThat(refused.text()).startsWith("4.7.0");
            }
            try (SmtpTestClient other = SmtpTestClient.connect(relay.smtp())) {
                other.send("PROXY TCP4 203.0.113.21 127.0.0.1 41001 2525\r\n");
                assertThat(other.reply().code()).as("another client behind the same balancer").isEqualTo(220);
            }
        } finally {
            kept.forEach(SmtpTestClient::close);
        }
    }

    @Test
    void loadBalancerConnectionWithoutHeaderIsClosed() throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(relay.smtp())) {
            client.send("EHLO sneaky.test\r\n");
            assertThat(client.drain(2000)).doesNotContain("250");
            assertThat(client.isClosedByServer()).isTrue();
        }
    }

    private static StoredMessage send(SmtpTestClient client) throws IOException {
        assertThat(client.command("MAIL FROM:<a@shop.test>").code()).isEqualTo(250);
        assertThat(client.command("RCPT TO:<b@example.test>").code()).isEqualTo(250);
        client.command("DATA");
        Reply queued = client.command("Subject: proxied\r\n\r\nhi\r\n.");
        assertThat(queued.code()).as(queued.text()).isEqualTo(250);
        String id = queued.text().substring("2.0.0 Ok: queued as ".length()).trim();
        return relay.spool().find(MessageId.parse(id)).block(Duration.ofSeconds(10));
    }

    /** PROXY protocol v2, TCP over IPv4 (haproxy's proxy-protocol.txt, section 2.2). */
    private static byte[] v2Header(byte[] source, byte[] destination) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        out.write(0x21); // version 2, PROXY
        out.write(0x11); // AF_INET, STREAM
        out.writeBytes(ByteBuffer.allocate(2).putShort((short) 12).array());
        out.writeBytes(source);
        out.writeBytes(destination);
        out.writeBytes(ByteBuffer.allocate(4).putShort((short) 40001).putShort((short) 2525).array());
        return out.toByteArray();
    }
}
