package dev.relay.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** Encodes {@link SmtpReply} values; stateless, so one instance serves every channel. */
@ChannelHandler.Sharable
public final class SmtpReplyEncoder extends MessageToByteEncoder<SmtpReply> {
    public static final SmtpReplyEncoder INSTANCE = new SmtpReplyEncoder();

    public SmtpReplyEncoder() {
        super(SmtpReply.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, SmtpReply reply, ByteBuf out) {
        reply.encode(out);
    }
}
