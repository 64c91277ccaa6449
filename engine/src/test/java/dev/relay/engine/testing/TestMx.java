package dev.relay.engine.testing;

import dev.relay.engine.tls.TlsMaterial;
import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.DataContent;
import dev.relay.protocol.DataEnd;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpInbound;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpReplyEncoder;
import dev.relay.protocol.SmtpServerDecoder;
import dev.relay.protocol.Verb;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A scriptable SMTP server on 127.0.0.1 (port 0) for delivery tests, built on the relay's own server decoder (which
 * frames DATA and unstuffs it). It records every command ({@link #commands()}, with the read it arrived in, so a
 * test sees pipelining), every accepted transaction ({@link #transactions()}: exact content after unstuffing),
 * connections opened and the most open at once.
 *
 * <pre>{@code
 * try (TestMx mx = TestMx.builder().pipelining(false).starttls(true)
 *         .script(step -> step.is("RCPT") && step.argument().contains("bad@") ? Action.reply(550, "5.1.1", "no") : null)
 *         .start()) { ... mx.transactions() ... }
 * }</pre>
 *
 * A script sees every {@link Step} (GREETING, each verb by name, CONTENT at the first content of a message,
 * DATA_END at the final dot) and returns null for the default behaviour or an {@link Action}: another reply (a
 * non-2xx one skips the command's effect), DROP (close without reply), SILENCE (never answer), or a delayed action.
 */
public final class TestMx implements AutoCloseable {
    /** What the script is asked about. {@code attempt}: how often this command has been seen on the MX (from 1). */
    public record Step(String command, String argument, int connection, int transaction, int attempt) {
        public boolean is(String name) {
            return command.equalsIgnoreCase(name);
        }
    }

    /** A scripted answer. */
    public sealed interface Action {
        Action DROP = new Drop();
        Action SILENCE = new Silence();

        static Action reply(int code, @Nullable String status, String text) {
            return new Reply(SmtpReply.of(code, status, text));
        }

        static Action delayed(Duration delay, @Nullable Action then) {
            return new Delayed(delay, then);
        }
    }

    public record Reply(SmtpReply reply) implements Action {
    }

    public record Drop() implements Action {
    }

    public record Silence() implements Action {
    }

    /** {@code then} null: the default behaviour after the delay. */
    public record Delayed(Duration delay, @Nullable Action then) implements Action {
    }

    @FunctionalInterface
    public interface Script {
        @Nullable Action on(Step step);
    }

    /** One command line as received; {@code read}: the number of the socket read it came in (per connection). */
    public record Command(int connection, int read, String line) {
    }

    /** An accepted message. {@code data}: the content exactly as it would be stored (unstuffed). */
    public record Transaction(int connection, String mailFrom, List<String> recipients, byte[] data, Instant time) {
    }

    public static final class Builder {
        private boolean pipelining = true;
        private boolean starttls;
        private long size = 10 * 1024 * 1024;
        private boolean eightBitMime = true;
        private boolean smtpUtf8 = true;
        private boolean chunking;
        private Script script = step -> null;

        public Builder pipelining(boolean on) {
            pipelining = on;
            return this;
        }

        public Builder starttls(boolean on) {
            starttls = on;
            return this;
        }

        /** SIZE advertised with this limit; negative: SIZE not advertised. */
        public Builder size(long limit) {
            size = limit;
            return this;
        }

        public Builder eightBitMime(boolean on) {
            eightBitMime = on;
            return this;
        }

        public Builder smtpUtf8(boolean on) {
            smtpUtf8 = on;
            return this;
        }

        /** Only advertised: BDAT is not implemented by this MX. */
        public Builder chunking(boolean on) {
            chunking = on;
            return this;
        }

        public Builder script(Script script) {
            this.script = Objects.requireNonNull(script, "script");
            return this;
        }

        public TestMx start() {
            return new TestMx(this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    private final Builder config;
    private final @Nullable SslContext sslContext;
    private final EventLoopGroup group = new NioEventLoopGroup(2);
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final List<Command> commands = new CopyOnWriteArrayList<>();
    private final List<Transaction> transactions = new CopyOnWriteArrayList<>();

    private TestMx(Builder config) {
        this.config = config;
        try {
            this.sslContext = config.starttls ? TlsMaterial.serverContext(null,
                    Files.createTempDirectory("testmx"), "localhost") : null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        Session session = new Session(connections.incrementAndGet());
                        ch.pipeline().addLast("reads", new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        session.reads++; // socket reads (after TLS: records), to see pipelining
                                        ctx.fireChannelRead(msg);
                                    }
                                })
                                .addLast("decoder", new SmtpServerDecoder())
                                .addLast("encoder", SmtpReplyEncoder.INSTANCE)
                                .addLast("session", session);
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public List<Command> commands() {
        return List.copyOf(commands);
    }

    /** Command lines of one connection, in order. */
    public List<String> commands(int connection) {
        return commands.stream().filter(c -> c.connection() == connection).map(Command::line).toList();
    }

    public List<Transaction> transactions() {
        return List.copyOf(transactions);
    }

    public int connectionsOpened() {
        return connections.get();
    }

    public int connectionsOpen() {
        return open.get();
    }

    public int maxConcurrentConnections() {
        return maxOpen.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Session extends SimpleChannelInboundHandler<SmtpInbound> {
        private final int id;
        private int reads;
        private int transactionCount;
        private @Nullable String mailFrom;
        private final List<String> recipients = new ArrayList<>();
        private final ByteArrayOutputStream data = new ByteArrayOutputStream();
        private boolean contentSeen;
        private boolean silent;
        private boolean tlsActive;

        Session(int id) {
            this.id = id;
        }

        /** Counted in {@code open} until QUIT or the close, whichever comes first. */
        private boolean counted;

        /**
         * A session that said QUIT is over, as providers count sessions; its socket close is seen later, possibly
         * after the client's next connect arrived on another event loop, which would count a correct client twice.
         */
        private void uncount() {
            if (counted) {
                counted = false;
                open.decrementAndGet();
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            counted = true;
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            act(ctx, "GREETING", "", () -> SmtpReply.of(220, null, "testmx ESMTP"), null);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            uncount();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // resets and TLS failures are what hostile-peer tests provoke: nothing to report
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, SmtpInbound in) {
            if (silent) {
                return;
            }
            if (in instanceof SmtpCommand c) {
                command(ctx, c);
            } else if (in instanceof DataContent d) {
                byte[] bytes = new byte[d.content().readableBytes()];
                d.content().readBytes(bytes);
                data.writeBytes(bytes);
                if (!contentSeen) {
                    contentSeen = true;
                    act(ctx, "CONTENT", "", null, null);
                }
            } else if (in instanceof DataEnd) {
                act(ctx, "DATA_END", "", () -> SmtpReply.of(250, "2.0.0", "queued"), () -> {
                    transactions.add(new Transaction(id, String.valueOf(mailFrom), List.copyOf(recipients),
                            data.toByteArray(), Instant.now()));
                    transactionCount++;
                    resetTransaction();
                });
            } else if (in instanceof CommandLineError) {
                ctx.writeAndFlush(SmtpReply.of(500, "5.5.2", "bad line"));
            } else {
                ctx.writeAndFlush(SmtpReply.of(502, "5.5.1", "not implemented"));
            }
        }

        private void command(ChannelHandlerContext ctx, SmtpCommand c) {
            commands.add(new Command(id, reads, c.line()));
            String arg = c.argument();
            switch (c.verb()) {
                case EHLO -> act(ctx, "EHLO", arg, this::ehloReply, this::resetTransaction);
                case HELO -> act(ctx, "HELO", arg, () -> SmtpReply.of(250, null, "testmx"), this::resetTransaction);
                case MAIL -> act(ctx, "MAIL", arg, () -> SmtpReply.of(250, "2.1.0", "ok"),
                        () -> mailFrom = path(arg));
                case RCPT -> act(ctx, "RCPT", arg, () -> mailFrom == null ? SmtpReply.of(503, "5.5.1", "MAIL first")
                        : SmtpReply.of(250, "2.1.5", "ok"), () -> {
                            if (mailFrom != null) {
                                recipients.add(path(arg));
                            }
                        });
                case DATA -> act(ctx, "DATA", arg, () -> recipients.isEmpty()
                        ? SmtpReply.of(554, "5.5.1", "no valid recipients") : SmtpReply.of(354, null, "go ahead"), () -> {
                            if (!recipients.isEmpty()) {
                                ((SmtpServerDecoder) ctx.pipeline().get("decoder")).expectData(64L * 1024 * 1024);
                                data.reset();
                                contentSeen = false;
                            }
                        });
                case RSET -> act(ctx, "RSET", arg, () -> SmtpReply.of(250, "2.0.0", "ok"), this::resetTransaction);
                case NOOP -> act(ctx, "NOOP", arg, () -> SmtpReply.of(250, "2.0.0", "ok"), null);
                case QUIT -> {
                    uncount();
                    act(ctx, "QUIT", arg, () -> SmtpReply.of(221, "2.0.0", "bye"), null);
                }
                case STARTTLS -> act(ctx, "STARTTLS", arg, () -> sslContext == null
                        ? SmtpReply.of(502, "5.5.1", "no TLS") : SmtpReply.of(220, "2.0.0", "go ahead"), () -> {
                            if (sslContext != null) {
                                ((SmtpServerDecoder) ctx.pipeline().get("decoder")).discardBufferedInput();
                                // startTls=true: our 220 still leaves in plaintext, then the handshake begins
                                ctx.pipeline().addFirst("tls", new SslHandler(sslContext.newEngine(ctx.alloc()), true));
                                tlsActive = true;
                                resetTransaction();
                            }
                        });
                default -> act(ctx, c.verb().name(), arg, () -> SmtpReply.of(502, "5.5.1", "not implemented"), null);
            }
        }

        /**
         * Asks the script, else uses {@code defaultReply}; {@code effect} runs before the reply is written (so a
         * 354's DATA mode and STARTTLS's handler are in place before the client can react) unless a scripted reply
         * is not 2xx/3xx. A null reply supplier: no reply by default (CONTENT).
         */
        private void act(ChannelHandlerContext ctx, String command, String argument,
                         java.util.function.@Nullable Supplier<SmtpReply> defaultReply, @Nullable Runnable effect) {
            int attempt = attempts.computeIfAbsent(command, k -> new AtomicInteger()).incrementAndGet();
            Action action = config.script.on(new Step(command, argument, id, transactionCount + 1, attempt));
            perform(ctx, action, defaultReply, effect);
        }

        private void perform(ChannelHandlerContext ctx, @Nullable Action action,
                             java.util.function.@Nullable Supplier<SmtpReply> defaultReply, @Nullable Runnable effect) {
            if (action instanceof Delayed delayed) {
                SmtpServerDecoder decoder = (SmtpServerDecoder) ctx.pipeline().get("decoder");
                decoder.pause(); // replies stay in order, and content is not parsed as commands meanwhile
                ctx.executor().schedule(() -> {
                    perform(ctx, delayed.then(), defaultReply, effect);
                    if (ctx.channel().isActive()) {
                        decoder.resume(ctx.pipeline().context("decoder"));
                    }
                }, delayed.delay().toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            if (action instanceof Drop) {
                ctx.close();
                return;
            }
            if (action instanceof Silence) {
                silent = true;
                return;
            }
            SmtpReply reply = action instanceof Reply r ? r.reply() : defaultReply == null ? null : defaultReply.get();
            if (effect != null && (reply == null || reply.isPositive())) {
                effect.run();
            }
            if (reply != null) {
                ctx.writeAndFlush(reply);
                if (reply.code() == 421 || reply.code() == 221) {
                    ctx.close();
                }
            }
        }

        private SmtpReply ehloReply() {
            List<String> lines = new ArrayList<>(List.of("testmx", "ENHANCEDSTATUSCODES"));
            if (config.pipelining) {
                lines.add("PIPELINING");
            }
            if (config.size >= 0) {
                lines.add("SIZE " + config.size);
            }
            if (config.eightBitMime) {
                lines.add("8BITMIME");
            }
            if (config.smtpUtf8) {
                lines.add("SMTPUTF8");
            }
            if (config.chunking) {
                lines.add("CHUNKING");
            }
            if (sslContext != null && !tlsActive) {
                lines.add("STARTTLS");
            }
            return new SmtpReply(250, null, lines);
        }

        private void resetTransaction() {
            mailFrom = null;
            recipients.clear();
            data.reset();
        }

        private static String path(String argument) {
            int open = argument.indexOf('<');
            int close = argument.indexOf('>', open + 1);
            return open < 0 || close < 0 ? argument : argument.substring(open + 1, close);
        }
    }
}
