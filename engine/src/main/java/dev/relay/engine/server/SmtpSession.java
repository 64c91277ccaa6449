package dev.relay.engine.server;

import dev.relay.engine.auth.AuthResult;
import dev.relay.protocol.AuthResponse;
import dev.relay.protocol.ChunkEnd;
import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.DataContent;
import dev.relay.protocol.DataEnd;
import dev.relay.protocol.MailParameters;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpServerDecoder;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP connection: feeds decoded input to {@link SessionCommands}, carries out the resulting {@link Step}s,
 * collects message content under the global {@link ByteBudget} and hands complete messages to the spool.
 *
 * <p>Replies are written as commands are processed and flushed once per read (so pipelined commands get their
 * replies in one segment). While an asynchronous step runs (a COMMIT, a password check) the session pauses its
 * decoder and its reads, so pipelined commands wait in the socket and in order, never in an unbounded queue. It
 * pauses the same way while its channel is not writable (a client that pipelines commands but does not read the
 * replies), so the outbound buffer stays near Netty's high-water mark instead of growing with the client's input.
 *
 * <p>All mutable state is confined to the connection's event loop.
 */
final class SmtpSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
    private static final int PAUSED_BY_STEP = 1;
    private static final int PAUSED_BY_BUDGET = 2;
    private static final int PAUSED_BY_WRITES = 4;

    private final SessionServices services;
    private final SessionCommands commands;
    private final String id;
    private @Nullable SessionState state;
    private @Nullable ChannelHandlerContext ctx;
    private @Nullable SmtpServerDecoder decoder;
    private @Nullable ReadGate gate;

    private final MessageAssembly message;
    private final boolean awaitProxyHeader;
    private boolean inData;
    private boolean inChunk;
    private boolean chunkKept;
    private boolean chunkLast;
    private int pausedBy;
    private long lastActivityNanos;
    private boolean counted;
    private boolean closing;
    /** The client counted in the per-IP limits, to give back at disconnect. */
    private @Nullable InetAddress limitedClient;
    /** When the content of the current message must be complete ({@code data_timeout}, the whole transfer). */
    private long contentDeadlineNanos;
    private @Nullable ScheduledFuture<?> timeoutCheck;

    /** @param awaitProxyHeader the peer is a load balancer: greet only once its PROXY header named the client */
    SmtpSession(SessionServices services, SessionCommands commands, String id, boolean awaitProxyHeader) {
        this.awaitProxyHeader = awaitProxyHeader;
        this.services = services;
        this.commands = commands;
        this.id = id;
        this.message = new MessageAssembly(services.budget());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.decoder = ctx.pipeline().get(SmtpServerDecoder.class);
        this.gate = ctx.pipeline().get(ReadGate.class);
        InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
        counted = true;
        services.metrics().connectionOpened();
        if (services.openConnections().incrementAndGet() > services.config().maxConnections()) {
            services.metrics().connectionRejected("max_connections");
            closeWith(Replies.TOO_MANY_CONNECTIONS);
            return;
        }
        if (services.draining().get()) {
            services.metrics().connectionRejected("draining");
            closeWith(Replies.SHUTTING_DOWN);
            return;
        }
        lastActivityNanos = System.nanoTime();
        scheduleTimeoutCheck(services.config().commandTimeout().toNanos());
        if (!awaitProxyHeader) {
            begin(remote);
        }
    }

    /** The client is known (the peer itself, or the one a load balancer's PROXY header named): greet it. */
    private void begin(InetSocketAddress client) {
        ClientLimits.Admission admission = services.clientLimits().connect(client.getAddress());
        if (admission != ClientLimits.Admission.ADMITTED) {
            boolean concurrent = admission == ClientLimits.Admission.TOO_MANY_CONNECTIONS;
            services.metrics().connectionRejected(concurrent ? "ip_connections" : "ip_connection_rate");
            log.info("{} refused {}: too many {} from this address", id, client.getAddress().getHostAddress(),
                    concurrent ? "connections" : "new connections per minute");
            closeWith(concurrent ? Replies.IP_TOO_MANY_CONNECTIONS : Replies.IP_TOO_MANY_NEW_CONNECTIONS);
            return;
        }
        limitedClient = client.getAddress();
        this.state = new SessionState(id, client.getAddress());
        log.debug("{} connect from {}", id, client);
        write(commands.greeting());
        ctx().flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivityNanos = System.nanoTime();
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof DataContent data) {
            onContent(data);
        } else if (msg instanceof SmtpCommand command) {
            onCommand(command);
        } else if (msg instanceof DataEnd end) {
            onContentEnd(end.stats(), true);
        } else if (msg instanceof ChunkEnd end) {
            onContentEnd(end.stats(), chunkLast);
        } else if (msg instanceof AuthResponse response) {
            carryOut(commands.authResponse(state(), response.line()));
        } else if (msg instanceof CommandLineError error) {
            onLineError(error);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (counted) {
            counted = false;
            services.openConnections().decrementAndGet();
            services.metrics().connectionClosed();
        }
        InetAddress limited = limitedClient;
        if (limited != null) {
            limitedClient = null;
            services.clientLimits().disconnect(limited);
        }
        if (timeoutCheck != null) {
            timeoutCheck.cancel(false);
        }
        message.discard();
        log.debug("{} disconnect", id);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            resume(PAUSED_BY_WRITES);
        } else if (!closing) {
            pause(PAUSED_BY_WRITES);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} connection error: {}", id, cause.toString());
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ProxyHeaderHandler.ProxiedClient proxied && state == null && !closing) {
            begin(proxied.address());
            return;
        }
        if (event == SmtpServer.DRAIN && !inData && pausedBy == 0) {
            closeWith(Replies.SHUTTING_DOWN);
        }
        ctx.fireUserEventTriggered(event);
    }

    private void onCommand(SmtpCommand command) {
        services.metrics().command(command.verb());
        if (services.draining().get()) {
            closeWith(Replies.SHUTTING_DOWN);
            return;
        }
        carryOut(commands.handle(state(), command));
    }

    private void onLineError(CommandLineError error) {
        SessionState state = state();
        boolean inAuth = state.authStage != SessionState.AuthStage.NONE;
        if (inAuth) {
            state.authStage = SessionState.AuthStage.NONE;
        }
        reply(switch (error.kind()) {
            case TOO_LONG -> inAuth ? Replies.AUTH_LINE_TOO_LONG : Replies.LINE_TOO_LONG;
            case NUL_BYTE, INVALID_UTF8 -> Replies.BAD_CHARACTERS;
            case BARE_LINE_ENDING -> Replies.BARE_LINE_ENDING;
        });
    }

    private void carryOut(Step step) {
        SmtpServerDecoder decoder = decoder();
        if (step instanceof Step.Reply r) {
            countRefusal(r.reply());
            reply(r.reply());
        } else if (step instanceof Step.Close c) {
            closeWith(c.reply());
        } else if (step instanceof Step.StartData s) {
            reply(s.reply());
            startContent();
            inChunk = false;
            decoder.expectData(services.config().maxMessageSize());
        } else if (step instanceof Step.StartChunk chunk) {
            chunkKept = chunk.keep();
            chunkLast = chunk.last();
            if (chunk.keep() && chunk.first()) {
                startContent();
            }
            inData = true;
            inChunk = true;
            if (chunk.size() == 0) {
                // BDAT 0 [LAST] has no bytes to wait for: the chunk is complete now.
                onContentEnd(chunk.first() ? ContentStats.EMPTY : decoder.contentStats(), chunk.last());
            } else {
                decoder.expectChunk(chunk.size(), services.config().maxMessageSize(), chunk.first(), chunk.last());
            }
        } else if (step instanceof Step.StartTls s) {
            startTls(s.reply());
        } else if (step instanceof Step.Challenge c) {
            reply(c.reply());
            decoder.expectAuthResponse();
        } else if (step instanceof Step.VerifyPassword v) {
            verifyPassword(v.user(), v.password());
        }
    }

    /** Refusals a command handler decided, by the reasons of relay_messages_rejected_total (content: see below). */
    private void countRefusal(SmtpReply reply) {
        if (reply == Replies.RELAY_DENIED) {
            services.metrics().messageRejected("relay_denied");
        } else if (reply == Replies.NO_VALID_RECIPIENTS) {
            services.metrics().messageRejected("no_recipients");
        } else if (reply == Replies.SIZE_EXCEEDED) {
            services.metrics().messageRejected("size"); // declared at MAIL FROM (SIZE=)
        }
    }

    // ---- message content -------------------------------------------------------------------------------------

    private void startContent() {
        message.start(ctx().alloc());
        inData = true;
        contentDeadlineNanos = System.nanoTime() + services.config().dataTimeout().toNanos();
        // The check in flight may be set for the idle timeout, later than this deadline.
        if (timeoutCheck != null) {
            timeoutCheck.cancel(false);
        }
        scheduleTimeoutCheck(Math.min(services.config().dataTimeout().toNanos(),
                services.config().commandTimeout().toNanos()));
    }

    private void onContent(DataContent data) {
        if (inChunk && !chunkKept) {
            data.release();
            return;
        }
        if (!message.add(data.content())) {
            pause(PAUSED_BY_BUDGET);
            message.awaitRoom(() -> ctx().executor().execute(() -> resume(PAUSED_BY_BUDGET)));
        }
    }

    private void onContentEnd(ContentStats stats, boolean last) {
        SessionState state = state();
        inData = false;
        if (inChunk && !chunkKept) {
            reply(commands.refusedChunk(state));
            if (last) {
                state.resetTransaction();
            }
            return;
        }
        SmtpReply refusal = refusal(stats);
        if (refusal != null) {
            message.discard();
            services.metrics().messageRejected(refusal == Replies.SIZE_EXCEEDED ? "size" : "content");
            if (state.chunking && !last) {
                state.chunkingFailed = true;
            } else {
                state.resetTransaction();
            }
            reply(refusal);
            return;
        }
        if (!last) {
            reply(SmtpReply.of(250, "2.0.0", stats.size() + " octets received"));
            return;
        }
        accept(stats);
    }

    private static @Nullable SmtpReply refusal(ContentStats stats) {
        if (stats.sizeExceeded()) {
            return Replies.SIZE_EXCEEDED;
        }
        if (stats.nulByte()) {
            return Replies.NUL_IN_CONTENT;
        }
        if (stats.lineTooLong()) {
            return Replies.LINE_TOO_LONG_IN_CONTENT;
        }
        return null;
    }

    private void accept(ContentStats stats) {
        SessionState state = state();
        Transaction transaction = java.util.Objects.requireNonNull(state.transaction, "transaction");
        MessageAssembly.Finished finished = message.finish();
        int maxReceived = services.config().maxReceivedHeaders();
        if (TraceFields.tooMany(finished.content(), maxReceived)) {
            // Before the COMMIT: a looping message is refused, never stored (Postfix's hopcount_limit).
            finished.content().release();
            message.release(finished);
            state.resetTransaction();
            services.metrics().messageRejected("loop");
            log.info("{} refused from=<{}>: more than {} Received fields (mail loop)", id,
                    LogText.escape(transaction.reversePath().toString()), maxReceived);
            reply(Replies.TOO_MANY_RECEIVED);
            return;
        }
        var priorityHeader = services.config().priorityHeader();
        PriorityHeader.Result override = PriorityHeader.strip(finished.content(), priorityHeader.name());
        CompositeByteBuf body = override.content();
        Priority priority = PriorityHeader.effective(priorityOf(state), override.requested(),
                priorityHeader.allowRaise());
        state.resetTransaction();

        MessageId messageId = MessageId.newId();
        List<String> recipients = List.copyOf(transaction.recipients());
        byte[] header = ReceivedHeader.render(String.valueOf(state.helo), state.client, services.config().hostname(),
                state.esmtp, state.tls, state.user != null, messageId.toString(), recipients, ZonedDateTime.now());
        body.addComponent(true, 0, Unpooled.wrappedBuffer(header));
        long size = body.readableBytes();
        MailParameters parameters = transaction.parameters();
        IncomingMessage incoming;
        try {
            incoming = new IncomingMessage(messageId, transaction.reversePath(), recipients, state.user,
                    priority, Instant.now(),
                    stats.eightBit() || parameters.body() == MailParameters.Body.EIGHT_BIT_MIME,
                    parameters.smtputf8(), state.client.getHostAddress(), String.valueOf(state.helo), body);
        } catch (RuntimeException e) {
            // The spool refused the envelope before taking the buffer: nothing is stored, nothing may leak.
            body.release();
            message.release(finished);
            log.warn("{} message {} refused by the spool: {}", id, messageId, e.toString());
            services.metrics().messageRejected("content");
            reply(SmtpReply.of(554, "5.6.0", "Message refused: " + e.getMessage()));
            return;
        }

        long started = System.nanoTime();
        pause(PAUSED_BY_STEP);
        services.spool().store(incoming).subscribe(
                null,
                error -> ctx().executor().execute(() -> {
                    message.release(finished);
                    services.metrics().messageRejected("spool_unavailable");
                    log.warn("{} message {} not stored: {}", id, messageId, error.toString());
                    reply(Replies.SPOOL_UNAVAILABLE);
                    resume(PAUSED_BY_STEP);
                }),
                () -> ctx().executor().execute(() -> {
                    message.release(finished);
                    services.metrics().messageAccepted(size, System.nanoTime() - started);
                    log.info("{} queued {} from=<{}> recipients={} size={} priority={}{}", id, messageId,
                            LogText.escape(String.valueOf(transaction.reversePath())), recipients.size(), size,
                            priority.name().toLowerCase(Locale.ROOT), override.removed() > 0 ? " (header)" : "");
                    reply(SmtpReply.of(250, "2.0.0", "Ok: queued as " + messageId));
                    resume(PAUSED_BY_STEP);
                }));
    }

    private static Priority priorityOf(SessionState state) {
        String priority = state.userPriority;
        return priority == null ? Priority.TRANSACTIONAL : Priority.valueOf(priority.toUpperCase(Locale.ROOT));
    }

    // ---- STARTTLS and AUTH ------------------------------------------------------------------------------------

    private void startTls(SmtpReply ready) {
        ChannelHandlerContext ctx = ctx();
        // RFC 3207 4.2 / STARTTLS injection: whatever the client pipelined in the clear is dropped unread.
        decoder().discardBufferedInput();
        // startTls=true: the first write (our 220) leaves unencrypted, then the client's handshake begins.
        SslHandler ssl = new SslHandler(java.util.Objects.requireNonNull(services.sslContext(), "sslContext")
                .newEngine(ctx.alloc()), true);
        ssl.setHandshakeTimeoutMillis(services.config().commandTimeout().toMillis());
        ctx.pipeline().addAfter(PipelineNames.READ_GATE, PipelineNames.TLS, ssl);
        reply(ready);
        ctx.flush();
        state().resetForTls();
        ssl.handshakeFuture().addListener(future -> {
            if (!future.isSuccess()) {
                log.debug("{} TLS handshake failed: {}", id, future.cause().toString());
                ctx.close();
            }
        });
    }

    private void verifyPassword(String user, String password) {
        var authenticator = java.util.Objects.requireNonNull(services.authenticator(), "authenticator");
        InetAddress client = state().client;
        if (!services.clientLimits().tryAuth(client)) {
            services.metrics().authLimited();
            log.info("{} AUTH refused: too many failures from {} in the last minute", id, client.getHostAddress());
            closeWith(Replies.IP_TOO_MANY_AUTH_FAILURES);
            return;
        }
        pause(PAUSED_BY_STEP);
        authenticator.authenticate(user, password.toCharArray()).subscribe(
                result -> ctx().executor().execute(() -> {
                    if (result instanceof AuthResult.Success) {
                        services.clientLimits().authSucceeded(client);
                        onAuthResult(user, result);
                        resume(PAUSED_BY_STEP);
                        return;
                    }
                    // The 535 waits (auth_failure_delay), paused, so guessing costs the guesser time.
                    ctx().executor().schedule(() -> {
                        onAuthResult(user, result);
                        resume(PAUSED_BY_STEP);
                    }, services.clientLimits().authFailureDelay().toNanos(), TimeUnit.NANOSECONDS);
                }),
                error -> ctx().executor().execute(() -> {
                    log.warn("{} AUTH check failed: {}", id, error.toString());
                    reply(Replies.AUTH_TEMPORARY_FAILURE);
                    resume(PAUSED_BY_STEP);
                }));
    }

    private void onAuthResult(String user, AuthResult result) {
        SessionState state = state();
        if (result instanceof AuthResult.Success success) {
            services.metrics().auth(true);
            state.user = success.user();
            state.userPriority = success.priority();
            log.info("{} authenticated as {}", id, success.user());
            reply(Replies.AUTH_OK);
            return;
        }
        services.metrics().auth(false);
        state.authFailures++;
        log.info("{} authentication failed for {} from {}", id, LogText.escape(user), state.client.getHostAddress());
        if (state.authFailures >= services.config().maxAuthFailures()) {
            closeWith(Replies.AUTH_TOO_MANY_FAILURES);
        } else {
            reply(Replies.AUTH_FAILED);
        }
    }

    // ---- flow control, timeouts, replies -----------------------------------------------------------------------

    private void pause(int reason) {
        boolean wasRunning = pausedBy == 0;
        pausedBy |= reason;
        if (wasRunning) {
            decoder().pause();
            gate().close(ctx());
        }
    }

    private void resume(int reason) {
        if ((pausedBy & reason) == 0) {
            return;
        }
        pausedBy &= ~reason;
        ChannelHandlerContext ctx = ctx();
        if (pausedBy != 0 || closing || !ctx.channel().isActive()) {
            ctx.flush();
            return;
        }
        lastActivityNanos = System.nanoTime();
        gate().open(ctx);
        // Input that arrived while paused is still in the decoder: let it decode what it holds.
        decoder().resume(ctx.pipeline().context(PipelineNames.DECODER));
        ctx.flush();
    }

    private void scheduleTimeoutCheck(long delayNanos) {
        timeoutCheck = ctx().executor().schedule(this::checkTimeout, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkTimeout() {
        if (closing || !ctx().channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        boolean waitingForUs = (pausedBy & PAUSED_BY_STEP) != 0;
        if (message.isCollecting() && !waitingForUs && now - contentDeadlineNanos >= 0) {
            // data_timeout bounds the whole transfer: a client trickling a byte now and then cannot hold its share
            // of the byte budget for longer. Given back now, not when the close completes.
            log.info("{} message content not complete after {}", id, services.config().dataTimeout());
            message.discard();
            closeWith(Replies.TIMEOUT);
            return;
        }
        long timeout = (inData ? services.config().dataTimeout() : services.config().commandTimeout()).toNanos();
        long idle = now - lastActivityNanos;
        if (waitingForUs || idle < timeout) {
            long next = Math.max(timeout - idle, TimeUnit.MILLISECONDS.toNanos(100));
            if (message.isCollecting()) {
                next = Math.min(next, Math.max(contentDeadlineNanos - now, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            scheduleTimeoutCheck(next);
            return;
        }
        log.info("{} timeout after {} ms idle", id, TimeUnit.NANOSECONDS.toMillis(idle));
        closeWith(Replies.TIMEOUT);
    }

    private void reply(SmtpReply reply) {
        write(reply);
        if (reply.code() >= 500) {
            SessionState state = state();
            state.errors++;
            if (state.errors >= services.config().maxErrors()) {
                closeWith(Replies.TOO_MANY_ERRORS);
            }
        }
    }

    private void write(SmtpReply reply) {
        services.metrics().reply(reply.code());
        ctx().write(reply, ctx().voidPromise());
    }

    private void closeWith(SmtpReply reply) {
        if (closing) {
            return;
        }
        closing = true;
        services.metrics().reply(reply.code());
        ChannelHandlerContext ctx = ctx();
        decoder().pause();
        if (!ctx.channel().isWritable()) {
            // The client is not reading: the reply would wait behind the others forever, and the connection too.
            ctx.close();
            return;
        }
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }

    private SessionState state() {
        return java.util.Objects.requireNonNull(state, "session not active");
    }

    private ChannelHandlerContext ctx() {
        return java.util.Objects.requireNonNull(ctx, "session not active");
    }

    private SmtpServerDecoder decoder() {
        return java.util.Objects.requireNonNull(decoder, "decoder");
    }

    private ReadGate gate() {
        return java.util.Objects.requireNonNull(gate, "gate");
    }
}
