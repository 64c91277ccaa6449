package dev.relay.engine.delivery;

import dev.relay.protocol.DotStuffing;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.smtp.DefaultLastSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpContent;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Writes one message's content after DATA's 354: dot-stuffed, zero-copy, in blocks each written within the data
 * timeout (RFC 5321 4.5.3.2.5), the last one carrying the terminating dot. A block not written in time or a failed
 * write fails the connection (through {@code fail}), since the stream is then unusable.
 *
 * <p>Threads: no mutable fields; {@link #write} must be called on the channel's event loop, and the stuffed buffer
 * of a write in progress is released there, whichever thread ends the write.
 */
final class ContentWriter {
    /** Content is written in blocks of this size, each within the data timeout. */
    static final int BLOCK = 64 * 1024;

    private final Channel channel;
    private final Consumer<Throwable> fail;
    private final Duration dataTimeout;
    private final int blockSize;

    /** @param fail fails the connection (and everything waiting on it); called from any thread */
    ContentWriter(Channel channel, Consumer<Throwable> fail, Duration dataTimeout, int blockSize) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.fail = Objects.requireNonNull(fail, "fail");
        this.dataTimeout = Objects.requireNonNull(dataTimeout, "dataTimeout");
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be >= 1, was " + blockSize);
        }
        this.blockSize = blockSize;
    }

    /** The content and the terminating dot (alone for empty content); completes once the last block is written. */
    Mono<Void> write(byte[] content) {
        ByteBuf wire = DotStuffing.stuff(content);
        int size = wire.readableBytes();
        if (size <= blockSize) {
            return writeBlock(new DefaultLastSmtpContent(wire));
        }
        int blocks = (size + blockSize - 1) / blockSize;
        return Flux.range(0, blocks)
                .concatMap(i -> {
                    int from = i * blockSize;
                    ByteBuf block = wire.retainedSlice(from, Math.min(blockSize, size - from));
                    return writeBlock(i == blocks - 1
                            ? new DefaultLastSmtpContent(block) : new DefaultSmtpContent(block));
                })
                .doFinally(s -> onLoop(wire::release))
                .then();
    }

    private Mono<Void> writeBlock(Object block) {
        return Mono.<Void>create(sink -> channel.writeAndFlush(block).addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                fail.accept(f.cause());
                sink.error(f.cause());
            }
        })).timeout(dataTimeout, Mono.defer(() -> {
            ConversationException e = ConversationException.writeTimeout(dataTimeout);
            fail.accept(e);
            return Mono.error(e);
        }));
    }

    private void onLoop(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }
}
