package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpServerDecoder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Replies on an embedded channel: errors counted toward max_errors, one last reply, then the close. */
class SessionRepliesTest {
    private static final SmtpReply SYNTAX = SmtpReply.of(500, "5.5.2", "Command unrecognized");

    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final SessionReplies replies;
    private final SessionState state;

    SessionRepliesTest() throws Exception {
        ReadGate gate = new ReadGate();
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        channel.pipeline().addLast(PipelineNames.READ_GATE, gate).addLast(PipelineNames.DECODER, decoder)
                .addLast(PipelineNames.SESSION, new ChannelInboundHandlerAdapter());
        var ctx = channel.pipeline().context(PipelineNames.SESSION);
        replies = new SessionReplies(ctx, new SmtpMetrics(new SimpleMeterRegistry(), () -> 0L), 3,
                new InputFlow(ctx, decoder, gate));
        state = new SessionState("t", InetAddress.getLoopbackAddress());
    }

    @Test
    void theThirdErrorIsFollowedBy421AndTheClose() {
        replies.reply(Replies.OK, state);
        replies.reply(SYNTAX, state);
        replies.reply(SYNTAX, state);
        channel.flush();
        assertThat(channel.isOpen()).isTrue();
        assertThat(replies.closing()).isFalse();

        replies.reply(SYNTAX, state);
        assertThat((Object) channel.readOutbound()).isEqualTo(Replies.OK);
        assertThat((Object) channel.readOutbound()).isEqualTo(SYNTAX);
        assertThat((Object) channel.readOutbound()).isEqualTo(SYNTAX);
        assertThat((Object) channel.readOutbound()).isEqualTo(SYNTAX);
        assertThat((Object) channel.readOutbound()).isEqualTo(Replies.TOO_MANY_ERRORS);
        assertThat(replies.closing()).isTrue();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void onlyTheFirstLastReplyIsWritten() {
        replies.closeWith(Replies.TIMEOUT);
        replies.closeWith(Replies.SHUTTING_DOWN);
        assertThat((Object) channel.readOutbound()).isEqualTo(Replies.TIMEOUT);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void theGreetingCountsNoError() {
        replies.write(SmtpReply.of(554, null, "no service"));
        replies.write(SmtpReply.of(554, null, "no service"));
        replies.write(SmtpReply.of(554, null, "no service"));
        assertThat(state.errors).isZero();
        assertThat(replies.closing()).isFalse();
    }
}
