package dev.relay.engine.delivery;

import dev.relay.engine.config.HopLimits;
import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.routing.NextHop;
import dev.relay.protocol.EhloCapabilities;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpReplyDecoder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpRequestEncoder;
import io.netty.handler.codec.smtp.SmtpRequests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpClient;

/**
 * One outbound SMTP connection over Reactor Netty's {@code TcpClient} with codec-smtp: the handshake
 * ({@link SmtpHandshake}: greeting, EHLO, STARTTLS), then transactions ({@link SmtpTransaction}) until QUIT. This
 * class owns the channel: it writes commands (content through {@link ContentWriter}) and reads replies; the
 * conversations decide.
 *
 * <p>Commands are written on the channel's event loop, each after registering its expectation with
 * {@link PendingReplies}, which matches replies by order (RFC 2920), times them and holds the first failure. A
 * timeout, an unsolicited or unparsable reply, or a failed write closes the connection and fails everything pending.
 * Threads: the channel, {@code capabilities}, {@code tls} and {@code transactions} are the event loop's (see the
 * fields); the public methods may be called from any thread and hop onto the loop themselves.
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

    /**
     * One command to write. {@code measured}: whether its reply's latency tells the site's pacing anything (QUIT's
     * does not: nothing waits for it).
     */
    record Command(SmtpRequest request, Duration timeout, String name, boolean measured) {
        Command(SmtpRequest request, Duration timeout, String name) {
            this(request, timeout, name, true);
        }
    }

    private final Connection connection;
    private final Channel channel;
    private final Scheduler loop;
    private final NextHop hop;
    private final SiteLimits limits;
    private final PendingReplies replies;
    private final Mono<SmtpReply> greeting;
    // written on the event loop (handshake replies, the TLS handshake's listener, SmtpTransaction.run on the loop);
    // read there, or by the pool after the result that follows the write was published to it through Reactor
    private EhloCapabilities capabilities = EhloCapabilities.NONE;
    private boolean tls;
    private int transactions;
    /** Replies read so far (event loop): tells a connection that died idle from one that answered and then broke. */
    private long repliesRead;

    private SmtpClientConnection(Connection connection, NextHop hop, SiteLimits limits, SitePacing pacing,
                                 Duration deadline) {
        this.connection = connection;
        this.channel = connection.channel();
        this.loop = Schedulers.fromExecutor(channel.eventLoop());
        this.hop = hop;
        this.limits = limits;
        this.replies = new PendingReplies(channel, hop.hostname(), pacing, deadline, System::nanoTime, () -> {
            if (channel.isOpen()) {
                connection.dispose();
            }
        });
        // the greeting's expectation exists before the first reply can be delivered: subscribing comes second
        this.greeting = replies.expect(limits.greetingTimeout(), "greeting", true);
        connection.inbound().receiveObject().subscribe(reply -> {
            repliesRead++;
            replies.received(reply);
        }, replies::ended, () -> replies.ended(null));
        // the handshake counts towards the first delivery's deadline: a slow banner is part of what it costs
        replies.onLoop(replies::armDeadline);
        channel.closeFuture().addListener(f -> replies.disarmDeadline());
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
                    AtomicBoolean handedOver = new AtomicBoolean();
                    return new SmtpHandshake(s, heloName, tlsMode, contexts).run()
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

    /** Replies read on this connection so far; event loop only. */
    long repliesRead() {
        return repliesRead;
    }

    boolean isOpen() {
        return replies.failure() == null && channel.isActive();
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
    Mono<AttemptResult> send(Envelope envelope) {
        return send(envelope, false);
    }

    /**
     * As {@link #send(Envelope)}; with {@code reused}, a connection that breaks before its first reply to this
     * transaction errors with {@link SmtpTransaction.Stale} instead (nothing was accepted, so the caller may send
     * the transaction again on a new connection).
     */
    Mono<AttemptResult> send(Envelope envelope, boolean reused) {
        return onLoop(() -> {
            replies.armDeadline();
            return new SmtpTransaction(this, envelope, reused).run();
        }).doFinally(s -> replies.disarmDeadline());
    }

    /** RSET after an aborted transaction: true when it answered 250; otherwise the connection is closed. */
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
        return exchange(new Command(SmtpRequests.quit(), wait, "QUIT", false))
                .then()
                .onErrorResume(e -> Mono.empty())
                .doFinally(s -> close());
    }

    /** Completes when the socket is closed (by either side). */
    Mono<Void> closed() {
        return connection.onDispose();
    }

    void close() {
        replies.fail(ConversationException.closedByUs());
    }

    // --- the conversation ---

    /** The greeting's reply (its expectation was registered before the first read). */
    Mono<SmtpReply> greeting() {
        return greeting;
    }

    /** Capabilities from the last EHLO (after STARTTLS, the second one's); event loop only. */
    void greeted(EhloCapabilities capabilities) {
        this.capabilities = capabilities;
    }

    /**
     * After STARTTLS's 220: the TLS handshake on the event loop ({@link TlsUpgrade}). A failed handshake fails the
     * conversation (the stream is unusable) and errors with its cause.
     */
    Mono<Void> secure(ClientTls contexts) {
        return onLoop(() -> TlsUpgrade.upgrade(channel, contexts.newHandler(channel.alloc(), hop.hostname(),
                        hop.address().getPort(), hop.verifyCertificate(), limits.commandTimeout())))
                .doOnSuccess(v -> tls = true) // on the loop: the handshake's listener completes it there
                .doOnError(replies::fail);
    }

    /** Writes the commands in one flush and emits their replies in order. */
    Mono<List<SmtpReply>> exchange(List<Command> commands) {
        return onLoop(() -> {
            List<Mono<SmtpReply>> answers = new ArrayList<>(commands.size());
            for (Command command : commands) {
                answers.add(replies.expect(command.timeout(), command.name(), command.measured()));
                channel.write(command.request()).addListener(f -> {
                    if (!f.isSuccess()) {
                        replies.fail(f.cause());
                    }
                });
            }
            channel.flush();
            return Flux.concat(answers).collectList();
        });
    }

    Mono<SmtpReply> exchange(Command command) {
        return exchange(List.of(command)).map(replies -> replies.get(0));
    }

    /**
     * After DATA's 354: the content (see {@link ContentWriter}), then the final reply within the data-end timeout.
     * Empty content sends just the terminating dot.
     */
    Mono<SmtpReply> sendContent(byte[] content) {
        return onLoop(() -> {
            // registered first: an early reply (say 552 mid-transfer, then close) answers the transaction
            // its wait includes our upload, so it says nothing about the peer's speed: not measured
            Mono<SmtpReply> finalReply = replies.expect(limits.dataEndTimeout(), "end of data", false);
            return new ContentWriter(channel, replies::fail, limits.dataTimeout(), ContentWriter.BLOCK)
                    .write(content)
                    .then(finalReply);
        });
    }

    private <T> Mono<T> onLoop(Supplier<Mono<T>> work) {
        return Mono.defer(() -> channel.eventLoop().inEventLoop() ? work.get() : Mono.defer(work).subscribeOn(loop));
    }
}
