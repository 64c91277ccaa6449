package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpServerDecoder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Input held for several reasons at once runs again only when the last one is given back. */
class InputFlowTest {
    private final List<Object> decoded = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final InputFlow flow;

    InputFlowTest() {
        ReadGate gate = new ReadGate();
        SmtpServerDecoder decoder = new SmtpServerDecoder();
        channel.pipeline().addLast(PipelineNames.READ_GATE, gate).addLast(PipelineNames.DECODER, decoder)
                .addLast(PipelineNames.SESSION, new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        decoded.add(msg);
                    }
                });
        flow = new InputFlow(channel.pipeline().context(PipelineNames.SESSION), decoder, gate);
    }

    private void receive(String text) {
        channel.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
    }

    @Test
    void inputRunsAgainOnlyWhenNoReasonHoldsIt() {
        flow.pause(InputFlow.Reason.STEP);
        flow.pause(InputFlow.Reason.BUDGET);
        assertThat(channel.config().isAutoRead()).isFalse();
        receive("NOOP\r\nRSET\r\n");
        assertThat(decoded).as("held in the decoder, in order").isEmpty();

        assertThat(flow.resume(InputFlow.Reason.STEP, false)).isFalse();
        assertThat(flow.isHeldBy(InputFlow.Reason.BUDGET)).isTrue();
        assertThat(decoded).isEmpty();
        assertThat(flow.resume(InputFlow.Reason.STEP, false)).as("given back once only").isFalse();

        assertThat(flow.resume(InputFlow.Reason.BUDGET, false)).isTrue();
        assertThat(flow.isHeld()).isFalse();
        assertThat(channel.config().isAutoRead()).isTrue();
        assertThat(decoded).hasSize(2).allMatch(SmtpCommand.class::isInstance);
    }

    @Test
    void aClosingSessionStaysPaused() {
        flow.pause(InputFlow.Reason.WRITES);
        assertThat(flow.resume(InputFlow.Reason.WRITES, true)).isFalse();
        assertThat(flow.isHeld()).isFalse();
        assertThat(channel.config().isAutoRead()).isFalse();
    }
}
