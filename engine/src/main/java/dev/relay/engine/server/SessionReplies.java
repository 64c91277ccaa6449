package dev.relay.engine.server;

import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.protocol.SmtpReply;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;

/**
 * A session's replies: written in the order decided (the session flushes once per read), each 5xx counted toward
 * {@code smtp.max_errors}, and a last one after which the connection closes and no input is decoded.
 *
 * <p>Confined to the connection's event loop.
 */
final class SessionReplies {
    private final ChannelHandlerContext ctx;
    private final SmtpMetrics metrics;
    private final int maxErrors;
    private final InputFlow flow;
    private boolean closing;

    SessionReplies(ChannelHandlerContext ctx, SmtpMetrics metrics, int maxErrors, InputFlow flow) {
        this.ctx = ctx;
        this.metrics = metrics;
        this.maxErrors = maxErrors;
        this.flow = flow;
    }

    /** Whether the last reply has been decided: the connection is closing. */
    boolean closing() {
        return closing;
    }

    /** Writes {@code reply}; after {@code smtp.max_errors} 5xx replies in {@code state}'s session, closes with 421. */
    void reply(SmtpReply reply, SessionState state) {
        write(reply);
        if (reply.code() >= 500) {
            state.errors++;
            if (state.errors >= maxErrors) {
                closeWith(Replies.TOO_MANY_ERRORS);
            }
        }
    }

    /** Writes {@code reply}, counting no error (the greeting). */
    void write(SmtpReply reply) {
        metrics.reply(reply.code());
        ctx.write(reply, ctx.voidPromise());
    }

    /** The last reply: flushed, then the connection closes. Only the first call counts. */
    void closeWith(SmtpReply reply) {
        if (closing) {
            return;
        }
        closing = true;
        metrics.reply(reply.code());
        flow.stop();
        if (!ctx.channel().isWritable()) {
            // The client is not reading: the reply would wait behind the others forever, and the connection too.
            ctx.close();
            return;
        }
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }
}
