package dev.relay.engine.server;

import dev.relay.protocol.AuthResponse;
import dev.relay.protocol.ChunkEnd;
import dev.relay.protocol.CommandLineError;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.DataContent;
import dev.relay.protocol.DataEnd;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpReply;
import dev.relay.protocol.SmtpServerDecoder;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One admitted SMTP connection's I/O and state transitions: feeds decoded input to {@link SessionCommands}, carries
 * out the {@link Step}s it returns, collects content under the global {@link ByteBudget} and waits, input held, for
 * the slow ones ({@link SlowSteps}: acceptance and COMMIT; {@link AuthSteps}: password checks).
 *
 * <p>Replies are written as commands are processed and flushed once per read (so pipelined commands get their
 * replies in one segment). While an asynchronous step runs (a COMMIT, a password check), or the channel is not
 * writable, or the byte budget is exhausted, {@link InputFlow} holds the input back, so the outbound buffer and our
 * memory stay bounded whatever the client pipelines.
 *
 * <p>All mutable state is confined to the connection's event loop.
 */
final class SmtpSession extends ChannelInboundHandlerAdapter implements SessionTimer.Watched {
    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private final SessionServices services;
    private final SessionCommands commands;
    private final SlowSteps slow;
    private final AuthSteps auth;
    private final String id;
    private final MessageAssembly message;
    private @Nullable SessionState state;
    private @Nullable ChannelHandlerContext ctx;
    private @Nullable SmtpServerDecoder decoder;
    private @Nullable InputFlow flow;
    private @Nullable SessionTimer timer;
    private ContentMode mode = ContentMode.COMMANDS;
    private @Nullable SessionReplies replies;

    SmtpSession(SessionServices services, SessionCommands commands, String id) {
        this.services = services;
        this.commands = commands;
        this.id = id;
        this.slow = new SlowSteps(services, id);
        this.auth = new AuthSteps(services, commands, id);
        this.message = new MessageAssembly(services.budget());
    }

    /** {@link ConnectionAdmission} let the connection in; the client follows as an {@code Admitted} event. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        SmtpServerDecoder decoder = Objects.requireNonNull(ctx.pipeline().get(SmtpServerDecoder.class), "decoder");
        this.decoder = decoder;
        ReadGate gate = Objects.requireNonNull(ctx.pipeline().get(ReadGate.class), "gate");
        InputFlow flow = new InputFlow(ctx, decoder, gate);
        this.flow = flow;
        this.replies = new SessionReplies(ctx, services.metrics(), services.config().maxErrors(), flow);
        SessionTimer timer = new SessionTimer(ctx.executor(), System::nanoTime, services.config().commandTimeout(),
                services.config().dataTimeout(), this);
        this.timer = timer;
        timer.start();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof ConnectionAdmission.Admitted admitted) {
            if (state == null && !closing()) {
                begin(admitted.client());
            }
            return;
        }
        if (event == SmtpServer.DRAIN && !mode.receiving() && !flow().isHeld()) {
            closeWith(Replies.SHUTTING_DOWN);
        }
        ctx.fireUserEventTriggered(event);
    }

    private void begin(InetSocketAddress client) {
        this.state = new SessionState(id, client.getAddress());
        log.debug("{} connect from {}", id, client);
        replies().write(commands.greeting());
        ctx().flush();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        timer().activity();
        if (closing()) {
            ReferenceCountUtil.release(msg);
        } else if (msg instanceof DataContent data) {
            onContent(data);
        } else if (msg instanceof SmtpCommand command) {
            services.metrics().command(command.verb());
            carryOut(services.draining().get() ? new Step.Close(Replies.SHUTTING_DOWN)
                    : commands.handle(state(), command));
        } else if (msg instanceof DataEnd end) {
            onContentEnd(end.stats());
        } else if (msg instanceof ChunkEnd end) {
            onContentEnd(end.stats());
        } else if (msg instanceof AuthResponse response) {
            carryOut(commands.authResponse(state(), response.line()));
        } else if (msg instanceof CommandLineError error) {
            carryOut(commands.lineError(state(), error.kind()));
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
        if (timer != null) {
            timer.cancel();
        }
        message.discard();
        log.debug("{} disconnect", id);
        ctx.fireChannelInactive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (flow == null) {
            // Refused by ConnectionAdmission before this session began: nothing of ours to pause.
        } else if (ctx.channel().isWritable()) {
            resume(InputFlow.Reason.WRITES);
        } else if (!closing()) {
            flow().pause(InputFlow.Reason.WRITES);
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("{} connection error: {}", id, cause.toString());
        ctx.close();
    }

    private void carryOut(Step step) {
        SmtpServerDecoder decoder = decoder();
        if (step instanceof Step.Reply r) {
            reply(r.reply());
        } else if (step instanceof Step.Refuse r) {
            services.metrics().messageRejected(r.reason().tag());
            reply(r.reply());
        } else if (step instanceof Step.Close c) {
            closeWith(c.reply());
        } else if (step instanceof Step.StartData s) {
            reply(s.reply());
            startContent();
            mode = ContentMode.DATA;
            decoder.expectData(services.config().maxMessageSize());
        } else if (step instanceof Step.StartChunk chunk) {
            if (chunk.keep() && chunk.first()) {
                startContent();
            }
            mode = chunk.keep() ? new ContentMode.KeptChunk(chunk.last())
                    : new ContentMode.DiscardedChunk(chunk.last());
            if (chunk.size() == 0) {
                // BDAT 0 [LAST] has no bytes to wait for: the chunk is complete now.
                onContentEnd(chunk.first() ? ContentStats.EMPTY : decoder.contentStats());
            } else {
                decoder.expectChunk(chunk.size(), services.config().maxMessageSize(), chunk.first(), chunk.last());
            }
        } else if (step instanceof Step.StartTls s) {
            startTls(s.reply());
        } else if (step instanceof Step.Challenge c) {
            reply(c.reply());
            decoder.expectAuthResponse();
        } else if (step instanceof Step.VerifyPassword v) {
            await(auth.verify(state(), v), () -> { });
        } else if (step instanceof Step.PasswordChecked c) {
            carryOut(auth.checked(state(), c));
        } else if (step instanceof Step.AcceptMessage a) {
            accept(a);
        } else if (step instanceof Step.Stored stored) {
            carryOut(slow.stored(stored));
        } else if (step instanceof Step.CheckRecipient check) {
            await(slow.checkRecipient(check), () -> { });
        } else if (step instanceof Step.RecipientChecked checked) {
            onRecipientChecked(checked);
        }
    }

    // ---- message content -------------------------------------------------------------------------------------

    private void startContent() {
        message.start(ctx().alloc());
        timer().contentStarted();
    }

    private void onContent(DataContent data) {
        if (mode instanceof ContentMode.DiscardedChunk) {
            data.release();
            return;
        }
        if (!message.add(data.content())) {
            flow().pause(InputFlow.Reason.BUDGET);
            message.awaitRoom(() -> ctx().executor().execute(() -> resume(InputFlow.Reason.BUDGET)));
        }
    }

    private void onContentEnd(ContentStats stats) {
        ContentMode ended = mode;
        mode = ContentMode.COMMANDS;
        Step step = commands.contentEnd(state(), ended, stats);
        if (step instanceof Step.Refuse) {
            message.discard();
        }
        carryOut(step);
    }

    private void accept(Step.AcceptMessage step) {
        MessageAssembly.Finished finished = message.finish();
        await(slow.accept(state(), step, finished.content()), () -> message.release(finished));
    }

    // ---- STARTTLS ------------------------------------------------------------------------------------

    private void startTls(SmtpReply ready) {
        // RFC 3207 4.2 / STARTTLS injection: whatever the client pipelined in the clear is dropped unread.
        decoder().discardBufferedInput();
        TlsUpgrade.insert(ctx(), Objects.requireNonNull(services.sslContext(), "sslContext"),
                services.config().commandTimeout(), id);
        reply(ready);
        ctx().flush();
        state().resetForTls();
    }

    private void onRecipientChecked(Step.RecipientChecked checked) {
        Step step = commands.recipientChecked(state(), checked.mailbox(), checked.verdict());
        if (step instanceof Step.Refuse) {
            log.info("{} RCPT refused: <{}> is suppressed", id, LogText.escape(checked.mailbox().toString()));
        }
        carryOut(step);
    }

    // ---- flow control, timeouts, replies -----------------------------------------------------------------------

    /** Holds the input until {@code work} is done, then (on the event loop) runs {@code first} and its Step. */
    private void await(Mono<Step> work, Runnable first) {
        flow().pause(InputFlow.Reason.STEP);
        work.subscribe(step -> ctx().executor().execute(() -> {
            first.run();
            carryOut(step);
            resume(InputFlow.Reason.STEP);
        }));
    }

    private void resume(InputFlow.Reason reason) {
        if (flow().resume(reason, closing())) {
            timer().activity();
        }
    }

    // ---- what the timer sees of this session (SessionTimer.Watched) ------------------------------------------

    @Override
    public boolean ended() {
        return closing() || !ctx().channel().isActive();
    }

    @Override
    public boolean collecting() {
        return message.isCollecting();
    }

    @Override
    public boolean waitingForUs() {
        return flow().isHeldBy(InputFlow.Reason.STEP);
    }

    @Override
    public boolean receiving() {
        return mode.receiving();
    }

    @Override
    public void timedOut(SessionDeadlines.Verdict verdict) {
        if (verdict instanceof SessionDeadlines.Idle idle) {
            log.info("{} timeout after {} ms idle", id, TimeUnit.NANOSECONDS.toMillis(idle.idleNanos()));
        } else {
            log.info("{} message content not complete after {}", id, services.config().dataTimeout());
            message.discard(); // the budget given back now, not when the close completes
        }
        closeWith(Replies.TIMEOUT);
    }

    // ---- replies -------------------------------------------------------------------------------------------------

    private void reply(SmtpReply reply) {
        replies().reply(reply, state());
    }

    private void closeWith(SmtpReply reply) {
        replies().closeWith(reply);
    }

    private SessionState state() {
        return Objects.requireNonNull(state, "session not active");
    }

    private ChannelHandlerContext ctx() {
        return Objects.requireNonNull(ctx, "session not active");
    }

    private SmtpServerDecoder decoder() {
        return Objects.requireNonNull(decoder, "decoder");
    }

    private InputFlow flow() {
        return Objects.requireNonNull(flow, "session not active");
    }

    private boolean closing() {
        return replies().closing();
    }

    private SessionReplies replies() {
        return Objects.requireNonNull(replies, "session not active");
    }

    private SessionTimer timer() {
        return Objects.requireNonNull(timer, "session not active");
    }
}
