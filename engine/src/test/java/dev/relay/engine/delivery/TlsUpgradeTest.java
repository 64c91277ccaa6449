package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.ssl.SslHandler;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/** The STARTTLS upgrade's pipeline placement and handshake outcome, on an embedded channel (no peer, no socket). */
class TlsUpgradeTest {
    private static final ClientTls CONTEXTS = new ClientTls(null);

    private static SslHandler handler(EmbeddedChannel channel) {
        return CONTEXTS.newHandler(channel.alloc(), "mx.example", 25, false, Duration.ofSeconds(30));
    }

    @Test
    void theHandlerGoesFirstUnderItsNameAndTheHandshakeStartsAtOnce() {
        EmbeddedChannel channel = new EmbeddedChannel();
        AtomicReference<Object> seen = new AtomicReference<>();

        TlsUpgrade.upgrade(channel, handler(channel)).subscribe(seen::set, seen::set, () -> seen.set("done"));

        assertThat(channel.pipeline().names().get(0)).isEqualTo(SmtpClientConnection.TLS);
        assertThat(channel.pipeline().first()).isInstanceOf(SslHandler.class);
        ByteBuf hello = channel.readOutbound();
        assertThat(hello).isNotNull(); // the ClientHello
        assertThat(hello.getByte(hello.readerIndex())).isEqualTo((byte) 22); // a TLS handshake record
        hello.release();
        assertThat(seen).hasValue(null); // waiting for the peer
        channel.finishAndReleaseAll();
    }

    @Test
    void aFailedHandshakeErrorsWithItsCause() {
        EmbeddedChannel channel = new EmbeddedChannel();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicReference<Boolean> completed = new AtomicReference<>(false);

        TlsUpgrade.upgrade(channel, handler(channel)).subscribe(v -> { }, failed::set, () -> completed.set(true));
        // a peer that answers STARTTLS's 220 with plaintext instead of a ServerHello
        try {
            channel.writeInbound(Unpooled.copiedBuffer("250 not tls at all\r\n", StandardCharsets.US_ASCII));
        } catch (Exception expected) {
            // the SslHandler also fires the decode error down the pipeline
        }

        assertThat(failed.get()).isInstanceOf(SSLException.class);
        assertThat(completed).hasValue(false);
        channel.finishAndReleaseAll();
    }
}
