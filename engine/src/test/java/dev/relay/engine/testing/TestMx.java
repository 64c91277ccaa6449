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
 *
 * <p>Profiles make it a hostile MX of the kinds real providers run, on top of (and before) the script:
 * {@link Builder#greylist greylisting} per (sender, recipient), {@link Builder#tarpit tarpitting} (every reply
 * late), {@link Builder#maxConnections connection caps} (421 to connections beyond N),
 * {@link Builder#maxMessagesPerConnection per-connection message caps}, and {@link Builder#throttle provider-like
 * throttling} with the real texts ({@link #GMAIL_RATE_LIMITED}, {@link #MICROSOFT_SERVER_BUSY}, ...). A profile's
 * answer wins over the script's; tarpitting delays whichever answer is given.
 *
 * <p>Everything the MX did is in its {@link #events() log}, with times: connections opened (421 for one refused by
 * the cap) and closed, and the reply code to the greeting, every MAIL, RCPT, DATA and final dot (DATA_END).
 * Tests assert the relay's behaviour from it: {@link #maxConcurrentConnections()}, {@link #messagesPerConnection()},
 * {@link #maxMessagesWithin(Duration)}, {@link #attempts(String)} (RCPT times and codes of one recipient).
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

    /**
     * One logged event. {@code step}: OPENED (code 0, or 421 when refused by {@link Builder#maxConnections}),
     * CLOSED (code 0), GREETING, MAIL, RCPT, DATA or DATA_END (code: the reply sent; DATA_END's argument lists the
     * recipients). {@code nanos}: System.nanoTime() at the event, for intervals.
     */
    public record Event(Instant time, long nanos, int connection, String step, String argument, int code) {
        public boolean is(String name) {
            return step.equalsIgnoreCase(name);
        }
    }

    /** Gmail's rate limit for unsolicited mail (a 421 closes the connection). */
    public static final SmtpReply GMAIL_RATE_LIMITED = SmtpReply.of(421, "4.7.28", "[127.0.0.1      15] Our system"
            + " has detected an unusual rate of unsolicited mail originating from your IP address. To protect our"
            + " users from spam, mail sent from your IP address has been temporarily rate limited. gsmtp");
    /** Microsoft (outlook.com / Exchange Online) when busy. */
    public static final SmtpReply MICROSOFT_SERVER_BUSY = SmtpReply.of(451, "4.7.500",
            "Server busy. Please try again later from [127.0.0.1]. (AS750)");
    /** Microsoft's IP reputation rate limit. */
    public static final SmtpReply MICROSOFT_RATE_LIMITED = SmtpReply.of(451, "4.7.650", "The mail server [127.0.0.1]"
            + " has been temporarily rate limited due to IP reputation. For e-mail delivery information, see"
            + " https://postmaster.live.com (S775)");
    /** Yahoo/AOL deferring for volume or complaints. */
    public static final SmtpReply YAHOO_DEFERRED = SmtpReply.of(421, "4.7.0", "[TSS04] Messages from 127.0.0.1"
            + " temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see"
            + " https://postmaster.yahooinc.com/error-codes");
    /** A connection beyond a {@link Builder#maxConnections} cap. */
    public static final SmtpReply TOO_MANY_CONNECTIONS = SmtpReply.of(421, "4.7.0", "Too many connections");
    /** The default answer to a MAIL beyond a {@link Builder#maxMessagesPerConnection} cap. */
    public static final SmtpReply TOO_MANY_MESSAGES = SmtpReply.of(421, "4.7.0",
            "Too many messages on this connection");
    /** The same as a 452, after which the connection stays open. */
    public static final SmtpReply TOO_MANY_MESSAGES_452 = SmtpReply.of(452, "4.7.0",
            "Too many messages in this session");

    public static final class Builder {
        private boolean pipelining = true;
        private boolean starttls;
        private long size = 10 * 1024 * 1024;
        private boolean eightBitMime = true;
        private boolean smtpUtf8 = true;
        private boolean chunking;
        private Script script = step -> null;
        private @Nullable Duration greylistDelay;
        private boolean greylistStatesDelay;
        private Duration tarpit = Duration.ZERO;
        private int maxConnections = Integer.MAX_VALUE;
        private int maxMessagesPerConnection = Integer.MAX_VALUE;
        private SmtpReply tooManyMessages = TOO_MANY_MESSAGES;
        private @Nullable SmtpReply throttleReply;
        private int throttleAfter;
        private Duration throttleFor = Duration.ZERO;

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

        /**
         * Greylisting with a stated delay: the first RCPT of each (sender, recipient) gets {@code 451 4.7.1
         * Greylisted, try again in N seconds}; so does every retry before {@code delay} has passed since that first
         * attempt (the clock is not restarted, as with postgrey); later ones are accepted.
         */
        public Builder greylist(Duration delay) {
            greylistDelay = positive(delay);
            greylistStatesDelay = true;
            return this;
        }

        /** Like {@link #greylist} but says nothing about when, as postgrey does: {@code 450 4.2.0 ... Greylisted, see http://...}. */
        public Builder greylistWithoutStatedDelay(Duration delay) {
            greylistDelay = positive(delay);
            greylistStatesDelay = false;
            return this;
        }

        /** Tarpitting: the banner and every reply are sent {@code delay} late. */
        public Builder tarpit(Duration delay) {
            tarpit = Objects.requireNonNull(delay, "delay");
            return this;
        }

        /** Connections beyond {@code n} open at once get {@code 421 4.7.0 Too many connections} and are closed. */
        public Builder maxConnections(int n) {
            maxConnections = atLeastOne(n);
            return this;
        }

        /** After {@code n} messages on one connection, MAIL gets {@code 421 4.7.0} and the connection is closed. */
        public Builder maxMessagesPerConnection(int n) {
            return maxMessagesPerConnection(n, TOO_MANY_MESSAGES);
        }

        /** After {@code n} messages on one connection, MAIL gets {@code reply} (e.g. a 452; a 421 also closes). */
        public Builder maxMessagesPerConnection(int n, SmtpReply reply) {
            maxMessagesPerConnection = atLeastOne(n);
            tooManyMessages = Objects.requireNonNull(reply, "reply");
            return this;
        }

        /**
         * Provider-like throttling: once {@code afterMessages} messages have been accepted (on all connections), every
         * MAIL gets {@code reply} (a 421 closes the connection) for {@code period}; then mail is accepted again.
         */
        public Builder throttle(SmtpReply reply, int afterMessages, Duration period) {
            throttleReply = Objects.requireNonNull(reply, "reply");
            if (afterMessages < 0) {
                throw new IllegalArgumentException("afterMessages must be >= 0");
            }
            throttleAfter = afterMessages;
            throttleFor = positive(period);
            return this;
        }

        private static Duration positive(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("must be positive: " + d);
            }
            return d;
        }

        private static int atLeastOne(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("must be >= 1: " + n);
            }
            return n;
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
    private final List<Event> events = new CopyOnWriteArrayList<>();
    /** (sender, recipient) → System.nanoTime() of its first RCPT, for greylisting. */
    private final Map<String, Long> greylistFirstSeen = new ConcurrentHashMap<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile long throttledUntilNanos;
    private volatile boolean throttled;

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

    /** Everything logged so far, in order. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** Accepted messages per connection id (connections without one are absent). */
    public Map<Integer, Long> messagesPerConnection() {
        return transactions.stream().collect(java.util.stream.Collectors.groupingBy(Transaction::connection,
                java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }

    /** The most messages accepted within any interval of length {@code window} (a sliding window over the log). */
    public int maxMessagesWithin(Duration window) {
        long[] times = events.stream().filter(e -> e.is("DATA_END") && e.code() / 100 == 2).mapToLong(Event::nanos)
                .sorted().toArray();
        int best = 0;
        int from = 0;
        for (int to = 0; to < times.length; to++) {
            while (times[to] - times[from] >= window.toNanos()) {
                from++;
            }
            best = Math.max(best, to - from + 1);
        }
        return best;
    }

    /** The RCPT events of one recipient (its delivery attempts as this MX saw them), in order. */
    public List<Event> attempts(String recipient) {
        return events.stream().filter(e -> e.is("RCPT") && Session.path(e.argument()).equalsIgnoreCase(recipient))
                .toList();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static final java.util.Set<String> LOGGED = java.util.Set.of("GREETING", "MAIL", "RCPT", "DATA",
            "DATA_END");

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
            if (!tryCount()) {
                // refused by the cap: never counted as open, so maxConcurrentConnections() shows what was served
                log("OPENED", "", TOO_MANY_CONNECTIONS.code());
                perform(ctx, "OPENED ", delayed(new Reply(TOO_MANY_CONNECTIONS)), null, null);
                return;
            }
            counted = true;
            log("OPENED", "", 0);
            act(ctx, "GREETING", "", () -> SmtpReply.of(220, null, "testmx ESMTP"), null);
        }

        /** Counts this connection as open unless that would exceed the connection cap. */
        private boolean tryCount() {
            while (true) {
                int now = open.get();
                if (now >= config.maxConnections) {
                    return false;
                }
                if (open.compareAndSet(now, now + 1)) {
                    maxOpen.accumulateAndGet(now + 1, Math::max);
                    return true;
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            uncount();
            log("CLOSED", "", 0);
        }

        private void log(String step, String argument, int code) {
            events.add(new Event(Instant.now(), System.nanoTime(), id, step, argument, code));
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
                act(ctx, "DATA_END", String.join(",", recipients), () -> SmtpReply.of(250, "2.0.0", "queued"), () -> {
                    transactions.add(new Transaction(id, String.valueOf(mailFrom), List.copyOf(recipients),
                            data.toByteArray(), Instant.now()));
                    transactionCount++;
                    accepted.incrementAndGet();
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
            Action action = profile(command, argument);
            Action scripted = config.script.on(new Step(command, argument, id, transactionCount + 1, attempt));
            if (action == null) {
                action = scripted;
            }
            perform(ctx, command + " " + argument, command.equals("CONTENT") ? action : delayed(action), defaultReply,
                    effect);
        }

        /** Tarpitting: any answer (the default one included) goes out late. */
        private @Nullable Action delayed(@Nullable Action action) {
            return config.tarpit.isZero() ? action : new Delayed(config.tarpit, action);
        }

        /** What the hostile profiles answer, or null to leave it to the script and the defaults. */
        private @Nullable Action profile(String command, String argument) {
            if (command.equals("MAIL")) {
                if (transactionCount >= config.maxMessagesPerConnection) {
                    return new Reply(config.tooManyMessages);
                }
                if (config.throttleReply != null && throttling()) {
                    return new Reply(config.throttleReply);
                }
            }
            if (command.equals("RCPT") && config.greylistDelay != null && mailFrom != null) {
                return greylisting(path(argument));
            }
            return null;
        }

        /** Starts the throttle period once enough mail was accepted; true while it lasts. */
        private boolean throttling() {
            synchronized (TestMx.this) {
                if (!throttled && accepted.get() >= config.throttleAfter) {
                    throttled = true;
                    throttledUntilNanos = System.nanoTime() + config.throttleFor.toNanos();
                }
                return throttled && System.nanoTime() < throttledUntilNanos;
            }
        }

        private @Nullable Action greylisting(String recipient) {
            Duration delay = Objects.requireNonNull(config.greylistDelay);
            long now = System.nanoTime();
            long first = greylistFirstSeen.computeIfAbsent(mailFrom + " " + recipient.toLowerCase(java.util.Locale.ROOT),
                    k -> now);
            long left = first + delay.toNanos() - now;
            if (left <= 0) {
                return null;
            }
            if (!config.greylistStatesDelay) {
                return Action.reply(450, "4.2.0", "<" + recipient + ">: Recipient address rejected: Greylisted, see"
                        + " http://postgrey.schweikert.ch/help/" + recipient.substring(recipient.indexOf('@') + 1)
                        + ".html");
            }
            return Action.reply(451, "4.7.1", "Greylisted, try again in "
                    + Math.max(1, (left + 999_999_999L) / 1_000_000_000L) + " seconds");
        }

        private void perform(ChannelHandlerContext ctx, String what, @Nullable Action action,
                             java.util.function.@Nullable Supplier<SmtpReply> defaultReply, @Nullable Runnable effect) {
            if (action instanceof Delayed delayed) {
                SmtpServerDecoder decoder = (SmtpServerDecoder) ctx.pipeline().get("decoder");
                decoder.pause(); // replies stay in order, and content is not parsed as commands meanwhile
                ctx.executor().schedule(() -> {
                    perform(ctx, what, delayed.then(), defaultReply, effect);
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
            int space = what.indexOf(' ');
            String step = what.substring(0, space);
            if (reply != null && LOGGED.contains(step)) {
                log(step, what.substring(space + 1), reply.code());
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
