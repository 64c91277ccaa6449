package dev.relay.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;

/** Submits one small message over a real socket and expects 250 for every step. */
public final class Submissions {
    private Submissions() {}

    public static void submit(InetSocketAddress smtp, String from, String messageId, String... recipients)
            throws IOException {
        try (SmtpTestClient client = SmtpTestClient.connect(smtp)) {
            assertThat(client.reply().code()).isEqualTo(220);
            assertThat(client.command("EHLO app.test").code()).isEqualTo(250);
            assertThat(client.command("MAIL FROM:<" + from + ">").code()).isEqualTo(250);
            for (String r : recipients) {
                assertThat(client.command("RCPT TO:<" + r + ">").code()).isEqualTo(250);
            }
            assertThat(client.command("DATA").code()).isEqualTo(354);
            assertThat(client.command("Message-ID: " + messageId + "\r\nFrom: " + from + "\r\nSubject: test\r\n\r\n"
                    + "body\r\n.").code()).isEqualTo(250);
            client.command("QUIT");
        }
    }
}
