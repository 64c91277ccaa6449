package dev.relay.engine.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts TLS into a connection's pipeline after STARTTLS (RFC 3207): a handler right behind the read gate that lets
 * our 220 leave in the clear and then negotiates, closing the connection when the handshake fails.
 */
final class TlsUpgrade {
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private TlsUpgrade() {
    }

    /** Call before writing the 220: that write is the last one in the clear. */
    static void insert(ChannelHandlerContext ctx, SslContext context, Duration handshakeTimeout, String id) {
        // startTls=true: the first write (our 220) leaves unencrypted, then the client's handshake begins.
        SslHandler ssl = new SslHandler(context.newEngine(ctx.alloc()), true);
        ssl.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
        ctx.pipeline().addAfter(PipelineNames.READ_GATE, PipelineNames.TLS, ssl);
        ssl.handshakeFuture().addListener(future -> {
            if (!future.isSuccess()) {
                log.debug("{} TLS handshake failed: {}", id, future.cause().toString());
                ctx.close();
            }
        });
    }
}
