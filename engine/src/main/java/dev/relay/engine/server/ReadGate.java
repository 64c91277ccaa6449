package dev.relay.engine.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Stops a connection from reading while its session waits (for a spool commit, a password check, or room in the
 * global byte budget).
 *
 * <p>Turning {@code autoRead} off is not enough on its own: {@code ByteToMessageDecoder} issues an explicit
 * {@code read()} when a read produced no message, which would keep pulling bytes into its cumulation while the
 * session is paused. The gate sits at the head of the pipeline and holds such reads back until it is opened.
 */
final class ReadGate extends ChannelDuplexHandler {
    private boolean closed;

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (closed) {
            return; // opening the gate turns autoRead back on, which issues a fresh read
        }
        ctx.read();
    }

    void close(ChannelHandlerContext ctx) {
        closed = true;
        ctx.channel().config().setAutoRead(false);
    }

    void open(ChannelHandlerContext ctx) {
        if (!closed) {
            return;
        }
        closed = false;
        // setAutoRead(true) issues a read of its own.
        ctx.channel().config().setAutoRead(true);
    }
}
