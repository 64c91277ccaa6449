package dev.relay.engine.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.delivery.ConversationException.Kind;
import dev.relay.protocol.DotStuffing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.smtp.LastSmtpContent;
import io.netty.handler.codec.smtp.SmtpContent;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Content after DATA's 354: blocks, the final dot, buffer release and the block timeout, on an embedded channel. */
class ContentWriterTest {
    private static final Duration DATA_TIMEOUT = Duration.ofMinutes(3);

    private final AtomicReference<Throwable> failed = new AtomicReference<>();

    private List<SmtpContent> written(EmbeddedChannel channel) {
        List<SmtpContent> out = new ArrayList<>();
        SmtpContent c;
        while ((c = channel.readOutbound()) != null) {
            out.add(c);
        }
        return out;
    }

    private static byte[] wire(byte[] content) {
        ByteBuf stuffed = DotStuffing.stuff(content);
        try {
            return ByteBufUtil.getBytes(stuffed);
        } finally {
            stuffed.release();
        }
    }

    @Test
    void contentWithinOneBlockIsOneLastBlockStuffed() {
        EmbeddedChannel channel = new EmbeddedChannel();
        byte[] content = "a\r\n.b".getBytes(StandardCharsets.US_ASCII);

        StepVerifier.create(new ContentWriter(channel, failed::set, DATA_TIMEOUT, 64).write(content))
                .verifyComplete();

        List<SmtpContent> blocks = written(channel);
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0)).isInstanceOf(LastSmtpContent.class);
        assertThat(ByteBufUtil.getBytes(blocks.get(0).content())).isEqualTo(wire(content));
        assertThat("a\r\n..b\r\n").isEqualTo(blocks.get(0).content().toString(StandardCharsets.US_ASCII));
        blocks.get(0).release();
        assertThat(blocks.get(0).refCnt()).isZero();
        assertThat(failed).hasValue(null);
    }

    @Test
    void emptyContentIsJustTheTerminatingDot() {
        EmbeddedChannel channel = new EmbeddedChannel();

        StepVerifier.create(new ContentWriter(channel, failed::set, DATA_TIMEOUT, 64).write(new byte[0]))
                .verifyComplete();

        List<SmtpContent> blocks = written(channel);
        assertThat(blocks).hasSize(1);
        assertThat(blocks.get(0)).isInstanceOf(LastSmtpContent.class);
        assertThat(ByteBufUtil.getBytes(blocks.get(0).content())).isEqualTo(wire(new byte[0]));
        blocks.get(0).release();
    }

    @Test
    void largerContentGoesInFullBlocksOnlyTheLastEndingTheMessageAndEveryBufferIsReleased() {
        EmbeddedChannel channel = new EmbeddedChannel();
        byte[] content = "0123456789\r\n.dot\r\nxy\r\n".getBytes(StandardCharsets.US_ASCII); // 23 octets stuffed

        StepVerifier.create(new ContentWriter(channel, failed::set, DATA_TIMEOUT, 10).write(content))
                .verifyComplete();

        List<SmtpContent> blocks = written(channel);
        assertThat(blocks).extracting(b -> b.content().readableBytes()).containsExactly(10, 10, 3);
        assertThat(blocks.subList(0, 2)).allSatisfy(b -> assertThat(b).isNotInstanceOf(LastSmtpContent.class));
        assertThat(blocks.get(2)).isInstanceOf(LastSmtpContent.class);
        ByteBuf all = io.netty.buffer.Unpooled.buffer();
        blocks.forEach(b -> all.writeBytes(b.content().duplicate()));
        assertThat(ByteBufUtil.getBytes(all)).isEqualTo(wire(content));
        blocks.forEach(SmtpContent::release);
        // the blocks are slices of one stuffed buffer: the writer gave its own reference back
        assertThat(blocks).allSatisfy(b -> assertThat(b.refCnt()).isZero());
        assertThat(failed).hasValue(null);
    }

    @Test
    void aBlockNotWrittenWithinTheDataTimeoutFailsTheConnection() {
        List<Object> held = new ArrayList<>();
        // a peer that stops reading: the write never completes
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                held.add(msg);
            }
        });
        byte[] content = new byte[25];

        StepVerifier.withVirtualTime(() -> new ContentWriter(channel, failed::set, DATA_TIMEOUT, 10).write(content))
                .expectSubscription()
                .thenAwait(DATA_TIMEOUT.minusMillis(1))
                .then(() -> assertThat(failed).hasValue(null))
                .thenAwait(Duration.ofMillis(1))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(ConversationException.class,
                        c -> assertThat(c.kind()).isEqualTo(Kind.WRITE_TIMEOUT)))
                .verify(Duration.ofSeconds(5));

        assertThat(failed.get()).isInstanceOfSatisfying(ConversationException.class,
                c -> assertThat(c.kind()).isEqualTo(Kind.WRITE_TIMEOUT));
        assertThat(held).hasSize(1); // no second block after the first one stalled
        held.forEach(io.netty.util.ReferenceCountUtil::release);
        assertThat(((SmtpContent) held.get(0)).refCnt()).isZero();
    }

    @Test
    void aFailedWriteFailsTheConnectionWithItsCause() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.close();

        StepVerifier.create(new ContentWriter(channel, failed::set, DATA_TIMEOUT, 10).write(new byte[25]))
                .expectError(ClosedChannelException.class)
                .verify(Duration.ofSeconds(5));

        assertThat(failed.get()).isInstanceOf(ClosedChannelException.class);
    }
}
