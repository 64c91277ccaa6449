package dev.relay.engine.delivery;

import dev.relay.engine.config.HopLimits;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.routing.NextHop;
import dev.relay.protocol.DotStuffing;
import dev.relay.protocol.EhloCapabilities;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpReplyDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.smtp.DefaultLastSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpContent;
import io.netty.handler.codec.smtp.DefaultSmtpRequest;
import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpRequestEncoder;
import io.netty.handler.codec.smtp.SmtpRequests;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpClient;

/**
 * One outbound SMTP connection over Reactor Netty's {@code TcpClient} with codec-smtp: greeting, EHLO (HELO on a
 * 5xx), STARTTLS per the TLS policy, then transactions ({@link SmtpTransaction}) until QUIT.
 *
 * <p>Replies are matched to commands by order (RFC 2920): every command registers an expectation before it is
 * written, all on the channel's event loop, so pipelined groups and single commands share one mechanism. Each
 * expectation's timeout starts when the previous reply arrived (RFC 5321 4.5.3.2 per command). A timeout, an
 * unsolicited or unparsable reply, or a failed write closes the connection and fails everything pending.
 *
 * <p>What a hostile next hop can make it cost is bounded by {@link HopLimits}: replies are read by
 * {@link SmtpReplyDecoder} (lines and octets per reply, control characters replaced, so every reply, greeting and EHLO
 * keyword leaves this class clean and bounded), and one delivery, from connect or from MAIL on a reused connection
 * to its final reply, must finish within the transaction deadline, whatever the per-command timeouts allow.
 */
final class SmtpClientConnection {
    static final String DECODER = "relay.client.smtpDecoder";
    static final String ENCODER = "relay.client.smtpEncoder";
    static final String TLS = "relay.client.tls";
    /** Content is written in blocks of this size, each within the data timeout (RFC 5321 4.5.3.2.5). */
    static final int CONTENT_BLOCK = 64 * 1024;

    private static final Logger log = LoggerFactory.getLogger(SmtpClientConnection.class);
    private static final SmtpCommand STARTTLS = SmtpCommand.valueOf("STARTTLS");

    record Command(SmtpRequest request, Duration timeout, String name) {
    }

    /** {@code sinceNanos}: when the expectation was registered; latency counts from it or the previous reply. */
    private record Pending(Sinks.One<SmtpReply> sink, String what, long sinceNanos) {
        /** The final dot's reply waits for the content upload, and QUIT's does not matter: neither says tarpit. */
        boolean measured() {
            return !what.equals(END_OF_DATA) && !what.equals("QUIT");
        }
    }

    private static final String END_OF_DATA = "end of data";

    private final Connection connection;
    private final Channel channel;
    private final Scheduler loop;
    private final NextHop hop;
    private final SiteLimits limits;
    private final SitePacing pacing;
    private final Duration deadline;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>(); // event loop only
    private long lastReplyNanos; // event loop only
    private @Nullable ScheduledFuture<?> deadlineTimer; // event loop only
    private final Mono<SmtpReply> greeting;
    private volatile @Nullable Throwable failure;
    private EhloCapabilities capabilities = EhloCapabilities.NONE;
    private boolean tls;
    private int transactions;

    private SmtpClientConnection(Connection connection, NextHop hop, SiteLimits limits, SitePacing pacing,
                                 Duration deadline) {
        this.connection = connection;
        this.pacing = pacing;
        this.deadline = deadline;
        this.channel = connection.channel();
        this.loop = Schedulers.fromExecutor(channel.eventLoop());
        this.hop = hop;
        this.limits = limits;
        // the greeting's expectation exists before the first reply can be delivered: subscribing comes second
        this.greeting = expect(limits.greetingTimeout(), "greeting");
        connection.inbound().receiveObject().subscribe(this::onInbound, this::onInboundEnd, () -> onInboundEnd(null));
        // the handshake counts towards the first delivery's deadline: a slow banner is part of what it costs
        onLoopNow(this::armDeadline);
        channel.closeFuture().addListener(f -> disarmDeadline());
    }

    /**
     * Connects to {@code hop} and completes the greeting, EHLO and (per {@code tlsMode}) STARTTLS. Errors only with
     * {@link HopFailure}; the connection is closed on every failure path and on cancellation.
     */
    static Mono<SmtpClientConnection> open(NextHop hop, TlsMode tlsMode, SiteLimits limits, String heloName,
                                           ClientTls contexts, LoopResources loops, SitePacing pacing,
                                           HopLimits hopLimits) {
        return TcpClient.newConnection()
                .runOn(loops)
                .remoteAddress(hop::address)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        limits.connectTimeout().toMillis()))
                .doOnConnected(c -> c.addHandlerLast(DECODER, new SmtpReplyDecoder(HopLimits.MAX_REPLY_LINE,
                                hopLimits.maxReplyLines(), hopLimits.maxReplyBytes()))
                        .addHandlerLast(ENCODER, new SmtpRequestEncoder()))
                .connect()
                .onErrorMap(e -> new HopFailure(ReplyClassifier.failure(hop.hostname(), e), false))
                .flatMap(c -> {
                    SmtpClientConnection s = new SmtpClientConnection(c, hop, limits, pacing,
                            hopLimits.transactionDeadline());
                    // operators downstream (next(), timeouts) may cancel after the value: only close before it
                    java.util.concurrent.atomic.AtomicBoolean handedOver = new java.util.concurrent.atomic.AtomicBoolean();
                    return s.handshake(heloName, tlsMode, contexts)
                            .thenReturn(s)
                            .doOnNext(x -> handedOver.set(true))
                            .onErrorMap(e -> !(e instanceof HopFailure),
                                    e -> new HopFailure(ReplyClassifier.failure(hop.hostname(), e), false))
                            .doOnError(e -> s.close())
                            .doOnCancel(() -> {
                                if (!handedOver.get()) {
                                    s.close();
                                }
                            });
                });
    }

    NextHop hop() {
        return hop;
    }

    EhloCapabilities capabilities() {
        return capabilities;
    }

    SiteLimits limits() {
        return limits;
    }

    boolean tls() {
        return tls;
    }

    /** Transactions started (MAIL sent) on this connection. */
    int transactions() {
        return transactions;
    }

    void countTransaction() {
        transactions++;
    }

    boolean isOpen() {
        return failure == null && channel.isActive();
    }

    io.netty.channel.EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Runs {@code whenClosed} once the channel is closed, whoever closed it. */
    void onClose(Runnable whenClosed) {
        channel.closeFuture().addListener(f -> whenClosed.run());
    }

    /**
     * One transaction within the deadline (armed at connect for a new connection, here for a reused one, disarmed
     * once the result is in); never errors (see {@link SmtpTransaction}).
     */
    Mono<dev.relay.engine.delivery.AttemptResult> send(Envelope envelope) {
        return onLoop(() -> {
            armDeadline();
            return new SmtpTransaction(this, envelope).run();
        }).doFinally(s -> disarmDeadline());
    }

    /** Event loop only. Passing the deadline fails the conversation like any timeout: ConnectionFailed, retried. */
    private void armDeadline() {
        if (deadlineTimer == null && failure == null) {
            deadlineTimer = channel.eventLoop().schedule(() -> fail(new ConversationException(
                    "delivery not finished within the transaction deadline of " + deadline)),
                    deadline.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void disarmDeadline() {
        onLoopNow(() -> {
            if (deadlineTimer != null) {
                deadlineTimer.cancel(false);
                deadlineTimer = null;
            }
        });
    }

    /** RSET before reusing the connection: true when it answered 250; otherwise the connection is closed. */
    Mono<Boolean> reset() {
        return exchange(new Command(SmtpRequests.rset(), limits.commandTimeout(), "RSET"))
                .map(reply -> reply.code() / 100 == 2)
                .onErrorReturn(false)
                .doOnNext(ok -> {
                    if (!ok) {
                        close();
                    }
                });
    }

    /** QUIT and close; never errors, waits at most the command timeout (capped at 10 s: nothing depends on it). */
    Mono<Void> quit() {
        if (!isOpen()) {
            close();
            return Mono.empty();
        }
        Duration wait = limits.commandTimeout().compareTo(Duration.ofSeconds(10)) < 0
                ? limits.commandTimeout() : Duration.ofSeconds(10);
        return exchange(new Command(SmtpRequests.quit(), wait, "QUIT"))
                .then()
                .onErrorResume(e -> Mono.empty())
                .doFinally(s -> close());
    }

    /** Completes when the socket is closed (by either side). */
    Mono<Void> closed() {
        return connection.onDispose();
    }

    void close() {
        fail(new ConversationException("connection closed by us"));
    }

    // --- the conversation ---

    private Mono<Void> handshake(String heloName, TlsMode tlsMode, ClientTls contexts) {
        return greeting.flatMap(reply -> {
            if (reply.code() != 220) {
                quit().subscribe();
                return Mono.error(new HopFailure(ReplyClassifier.classify(hop.hostname(), reply), false));
            }
            return hello(heloName);
        }).flatMap(caps -> {
            capabilities = caps;
            return startTls(heloName, tlsMode, contexts);
        });
    }

    private Mono<EhloCapabilities> hello(String heloName) {
        return exchange(new Command(SmtpRequests.ehlo(heloName), limits.commandTimeout(), "EHLO")).flatMap(ehlo -> {
            if (ehlo.code() == 250) {
                return Mono.just(EhloCapabilities.parse(ehlo.lines()));
            }
            if (ehlo.code() / 100 != 5) {
                return Mono.error(refusal(ehlo));
            }
            return exchange(new Command(SmtpRequests.helo(heloName), limits.commandTimeout(), "HELO"))
                    .flatMap(helo -> helo.code() == 250 ? Mono.just(EhloCapabilities.NONE) : Mono.error(refusal(helo)));
        });
    }

    private Mono<Void> startTls(String heloName, TlsMode mode, ClientTls contexts) {
        if (mode == TlsMode.DISABLED) {
            return Mono.empty();
        }
        boolean required = mode == TlsMode.REQUIRED;
        if (!capabilities.startTls()) {
            return required ? refuseLocally(ReplyClassifier.TLS_NOT_OFFERED, "STARTTLS not offered") : Mono.empty();
        }
        return exchange(new Command(new DefaultSmtpRequest(STARTTLS), limits.commandTimeout(), "STARTTLS"))
                .flatMap(reply -> {
                    if (reply.code() != 220) {
                        // RFC 3207 4: the session simply stays in plaintext
                        return required ? refuseLocally(ReplyClassifier.TLS_FAILED, "STARTTLS refused: " + reply)
                                : Mono.empty();
                    }
                    return onLoop(() -> handshakeTls(contexts))
                            .onErrorMap(e -> {
                                fail(e);
                                return required
                                        ? new HopFailure(new DeliveryOutcome.Deferred(hop.hostname(),
                                                ReplyClassifier.TLS_FAILED, null), false)
                                        : new HopFailure(ReplyClassifier.failure(hop.hostname(), e), true);
                            })
                            .then(hello(heloName))
                            .doOnNext(caps -> capabilities = caps)
                            .then();
                });
    }

    private Mono<Void> handshakeTls(ClientTls contexts) {
        SslHandler ssl = contexts.newHandler(channel.alloc(), hop.hostname(), hop.address().getPort(),
                hop.verifyCertificate(), limits.commandTimeout());
        channel.pipeline().addFirst(TLS, ssl);
        return Mono.create(sink -> ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess()) {
                tls = true;
                sink.success();
            } else {
                sink.error(f.cause());
            }
        }));
    }

    private Mono<Void> refuseLocally(SmtpReply reply, String why) {
        log.info("{} {}: deferring ({})", hop.hostname(), why, reply);
        quit().subscribe();
        return Mono.error(new HopFailure(ReplyClassifier.local(hop.hostname(), reply), false));
    }

    private HopFailure refusal(SmtpReply reply) {
        quit().subscribe();
        return new HopFailure(ReplyClassifier.classify(hop.hostname(), reply), false);
    }

    /** Writes the commands in one flush and emits their replies in order. */
    Mono<List<SmtpReply>> exchange(List<Command> commands) {
        return onLoop(() -> {
            List<Mono<SmtpReply>> replies = new ArrayList<>(commands.size());
            for (Command command : commands) {
                replies.add(expect(command.timeout(), command.name()));
                channel.write(command.request()).addListener(f -> {
                    if (!f.isSuccess()) {
                        fail(f.cause());
                    }
                });
            }
            channel.flush();
            return Flux.concat(replies).collectList();
        });
    }

    Mono<SmtpReply> exchange(Command command) {
        return exchange(List.of(command)).map(replies -> replies.get(0));
    }

    /**
     * After DATA's 354: the content, dot-stuffed and zero-copy, in blocks each written within the data timeout,
     * then the final reply within the data-end timeout. Empty content sends just the terminating dot.
     */
    Mono<SmtpReply> sendContent(byte[] content) {
        return onLoop(() -> {
            // registered first: an early reply (say 552 mid-transfer, then close) answers the transaction
            Mono<SmtpReply> finalReply = expect(limits.dataEndTimeout(), END_OF_DATA);
            ByteBuf wire = DotStuffing.stuff(content);
            int size = wire.readableBytes();
            if (size <= CONTENT_BLOCK) {
                return write(new DefaultLastSmtpContent(wire)).then(finalReply);
            }
            int blocks = (size + CONTENT_BLOCK - 1) / CONTENT_BLOCK;
            return Flux.range(0, blocks)
                    .concatMap(i -> {
                        int from = i * CONTENT_BLOCK;
                        ByteBuf block = wire.retainedSlice(from, Math.min(CONTENT_BLOCK, size - from));
                        return write(i == blocks - 1 ? new DefaultLastSmtpContent(block) : new DefaultSmtpContent(block));
                    })
                    .doFinally(s -> onLoopNow(wire::release))
                    .then(finalReply);
        });
    }

    private Mono<Void> write(Object message) {
        Duration timeout = limits.dataTimeout();
        return Mono.<Void>create(sink -> channel.writeAndFlush(message).addListener(f -> {
            if (f.isSuccess()) {
                sink.success();
            } else {
                fail(f.cause());
                sink.error(f.cause());
            }
        })).timeout(timeout, Mono.defer(() -> {
            ConversationException e = new ConversationException("data block not written within " + timeout);
            fail(e);
            return Mono.error(e);
        }));
    }

    /** Must be called on the event loop, in the order the commands are written. */
    private Mono<SmtpReply> expect(Duration timeout, String what) {
        Sinks.One<SmtpReply> sink = Sinks.one();
        Throwable dead = failure;
        Pending expected = new Pending(sink, what, System.nanoTime());
        if (dead != null) {
            sink.tryEmitError(dead);
        } else {
            pending.add(expected);
        }
        return sink.asMono().timeout(timeout, Mono.defer(() -> {
            if (expected.measured()) {
                pacing.replied(timeout.toNanos()); // the slowest reply of all: none
            }
            ConversationException e = new ConversationException("no reply to " + what + " within " + timeout);
            fail(e);
            return Mono.error(e);
        }));
    }

    private void onInbound(Object message) {
        Pending next = pending.poll();
        if (!(message instanceof SmtpResponse response) || next == null) {
            fail(new ConversationException("unsolicited reply from " + hop.hostname()));
            return;
        }
        long now = System.nanoTime();
        if (next.measured()) {
            pacing.replied(now - Math.max(next.sinceNanos(), lastReplyNanos));
        }
        lastReplyNanos = now;
        SmtpReply reply;
        try {
            reply = SmtpReply.fromWire(response.code(), response.details());
        } catch (IllegalArgumentException e) {
            ConversationException broken = new ConversationException("invalid reply code " + response.code()
                    + " to " + next.what());
            fail(broken);
            next.sink().tryEmitError(broken);
            return;
        }
        next.sink().tryEmitValue(reply);
    }

    private void onInboundEnd(@Nullable Throwable error) {
        fail(error != null ? error : new ConversationException("connection closed by " + hop.hostname()));
    }

    /** Records the first failure, closes the channel, and fails every pending expectation (on the loop). */
    private void fail(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        onLoopNow(() -> {
            Throwable first = failure;
            Pending p;
            while ((p = pending.poll()) != null) {
                p.sink().tryEmitError(first instanceof ConversationException && first.getMessage().startsWith("connection closed")
                        ? new ConversationException(first.getMessage() + " while waiting for the reply to " + p.what())
                        : first);
            }
        });
        if (channel.isOpen()) {
            connection.dispose();
        }
    }

    private <T> Mono<T> onLoop(Supplier<Mono<T>> work) {
        return Mono.defer(() -> channel.eventLoop().inEventLoop() ? work.get() : Mono.defer(work).subscribeOn(loop));
    }

    private void onLoopNow(Runnable task) {
        if (channel.eventLoop().inEventLoop()) {
            task.run();
        } else {
            channel.eventLoop().execute(task);
        }
    }
}
