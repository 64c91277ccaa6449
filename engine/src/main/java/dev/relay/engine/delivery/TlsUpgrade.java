package dev.relay.engine.delivery;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import reactor.core.publisher.Mono;

/**
 * The TLS upgrade after STARTTLS's 220 (RFC 3207): the {@link SslHandler} goes first in the channel's pipeline (under
 * {@link SmtpClientConnection#TLS}), so everything written after it, commands and content alike, is encrypted; the
 * handshake's end is reported as a {@code Mono}, which errors with the handshake's cause.
 *
 * <p>Threads: no state; {@link #upgrade} must be called on the channel's event loop, where the handshake's listener
 * runs too.
 */
final class TlsUpgrade {
    private TlsUpgrade() {
    }

    /** Adds {@code ssl} and completes when its handshake succeeded (the handshake starts as it is added). */
    static Mono<Void> upgrade(Channel channel, SslHandler ssl) {
        channel.pipeline().addFirst(SmtpClientConnection.TLS, ssl);
        return Mono.create(sink -> ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                sink.error(f.cause());
            }
        }));
    }
}
