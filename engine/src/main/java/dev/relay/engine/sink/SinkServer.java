package dev.relay.engine.sink;

import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.DataContent;
import dev.relay.protocol.DataEnd;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpReplyEncoder;
import dev.relay.protocol.SmtpServerDecoder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * {@code ./relay sink}: a local SMTP server that accepts every message and writes it to a directory as
 * {@code <n>.eml} (envelope in leading {@code X-Sink-*} lines), so a new user can watch what the relay delivers
 * without installing anything. Not a mail store: no AUTH, no TLS, loopback use only.
 */
public final class SinkServer implements AutoCloseable {
    private static final long MAX_MESSAGE = 64L << 20;

    private final Path directory;
    private final Consumer<String> report;
    private final AtomicLong counter = new AtomicLong();
    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Scheduler files = Schedulers.newBoundedElastic(2, 10_000, "sink-files");
    private @Nullable Channel channel;

    public SinkServer(Path directory, Consumer<String> report) {
        this.directory = Objects.requireNonNull(directory, "directory");
        this.report = Objects.requireNonNull(report, "report");
    }

    public InetSocketAddress start(InetSocketAddress listen) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + directory, e);
        }
        channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        SmtpServerDecoder decoder = new SmtpServerDecoder();
                        ch.pipeline().addLast(decoder, SmtpReplyEncoder.INSTANCE, new Session(decoder));
                    }
                })
                .bind(listen).syncUninterruptibly().channel();
        return (InetSocketAddress) channel.localAddress();
    }

    /** One connection: the minimum of RFC 5321 a sending MTA needs, with PIPELINING handled by the decoder. */
    private final class Session extends SimpleChannelInboundHandler<Object> {
        private final SmtpServerDecoder decoder;
        private @Nullable String from;
        private final List<String> recipients = new ArrayList<>();
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();

        Session(SmtpServerDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.writeAndFlush(SmtpReply.of(220, null, "relay sink ready"));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DataContent content) {
                ByteBuf buf = content.content();
                if (data.size() < MAX_MESSAGE) {
                    data.writeBytes(ByteBufUtil.getBytes(buf));
                }
            } else if (msg instanceof DataEnd) {
                save(ctx);
            } else if (msg instanceof CommandLineError) {
                ctx.writeAndFlush(SmtpReply.of(500, "5.5.2", "syntax error"));
            } else if (msg instanceof SmtpCommand command) {
                ctx.writeAndFlush(reply(ctx, command));
            }
        }

        private SmtpReply reply(ChannelHandlerContext ctx, SmtpCommand command) {
            return switch (command.verb()) {
                case EHLO -> new SmtpReply(250, null, List.of("relay sink", "PIPELINING", "8BITMIME", "SMTPUTF8",
                        "SIZE " + MAX_MESSAGE, "ENHANCEDSTATUSCODES"));
                case HELO -> SmtpReply.of(250, null, "relay sink");
                case MAIL -> {
                    from = command.argument();
                    recipients.clear();
                    yield SmtpReply.of(250, "2.1.0", "Ok");
                }
                case RCPT -> {
                    recipients.add(command.argument());
                    yield SmtpReply.of(250, "2.1.5", "Ok");
                }
                case DATA -> {
                    if (from == null || recipients.isEmpty()) {
                        yield SmtpReply.of(503, "5.5.1", "MAIL and RCPT first");
                    }
                    decoder.expectData(MAX_MESSAGE);
                    data.reset();
                    yield SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>");
                }
                case RSET -> {
                    from = null;
                    recipients.clear();
                    yield SmtpReply.of(250, "2.0.0", "Ok");
                }
                case NOOP -> SmtpReply.of(250, "2.0.0", "Ok");
                case QUIT -> {
                    ctx.channel().eventLoop().execute(ctx::close);
                    yield SmtpReply.of(221, "2.0.0", "Bye");
                }
                default -> SmtpReply.of(502, "5.5.1", "not implemented");
            };
        }

        private void save(ChannelHandlerContext ctx) {
            long n = counter.incrementAndGet();
            String envelope = "X-Sink-Mail-From: " + from + "\r\nX-Sink-Rcpt-To: " + String.join(", ", recipients)
                    + "\r\n";
            byte[] content = data.toByteArray();
            String summary = "#" + n + " " + from + " -> " + recipients + " (" + content.length + " bytes)";
            from = null;
            recipients.clear();
            data.reset();
            Path file = directory.resolve(n + ".eml");
            decoder.pause(); // pipelined commands wait until the 250 for this message is written
            Mono.fromCallable(() -> {
                        Path tmp = directory.resolve(n + ".eml.tmp");
                        try (var out = Files.newOutputStream(tmp)) {
                            out.write(envelope.getBytes(StandardCharsets.UTF_8));
                            out.write(content);
                        }
                        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                        return file;
                    })
                    .subscribeOn(files)
                    .subscribe(f -> {
                        report.accept(summary + " -> " + f);
                        answer(ctx, SmtpReply.of(250, "2.0.0", "Ok: saved as " + f.getFileName()));
                    }, e -> answer(ctx, SmtpReply.of(451, "4.3.0", "cannot write the message")));
        }

        private void answer(ChannelHandlerContext ctx, SmtpReply reply) {
            ctx.executor().execute(() -> {
                ctx.writeAndFlush(reply);
                decoder.resume(ctx);
            });
        }
    }

    @Override
    public void close() {
        if (channel != null) {
            channel.close().syncUninterruptibly();
        }
        group.shutdownGracefully().syncUninterruptibly();
        files.dispose();
    }
}
