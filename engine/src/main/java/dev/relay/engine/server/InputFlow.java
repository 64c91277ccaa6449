package dev.relay.engine.server;

import dev.relay.protocol.SmtpServerDecoder;
import io.netty.channel.ChannelHandlerContext;

/**
 * Stops and restarts a session's input, its decoder and its socket reads together, for independent reasons: input
 * runs only when none holds it. So pipelined commands wait in the socket and in order, never in a queue of ours.
 *
 * <p>Confined to the connection's event loop.
 */
final class InputFlow {
    /** Why input is held; each is given back by its own {@link #resume}. */
    enum Reason {
        /** An asynchronous step runs (a COMMIT, a password check). */
        STEP,
        /** The global byte budget is exhausted. */
        BUDGET,
        /** The channel is not writable: the client does not read our replies. */
        WRITES
    }

    private final ChannelHandlerContext ctx;
    private final SmtpServerDecoder decoder;
    private final ReadGate gate;
    private int heldBy;

    InputFlow(ChannelHandlerContext ctx, SmtpServerDecoder decoder, ReadGate gate) {
        this.ctx = ctx;
        this.decoder = decoder;
        this.gate = gate;
    }

    void pause(Reason reason) {
        boolean wasRunning = heldBy == 0;
        heldBy |= 1 << reason.ordinal();
        if (wasRunning) {
            decoder.pause();
            gate.close(ctx);
        }
    }

    /**
     * Gives back {@code reason}; returns whether input runs again (it stays stopped while another reason holds it,
     * or when {@code closing}). Flushes the replies written meanwhile either way.
     */
    boolean resume(Reason reason, boolean closing) {
        int bit = 1 << reason.ordinal();
        if ((heldBy & bit) == 0) {
            return false;
        }
        heldBy &= ~bit;
        if (heldBy != 0 || closing || !ctx.channel().isActive()) {
            ctx.flush();
            return false;
        }
        gate.open(ctx);
        // Input that arrived while paused is still in the decoder: let it decode what it holds.
        decoder.resume(ctx.pipeline().context(PipelineNames.DECODER));
        ctx.flush();
        return true;
    }

    boolean isHeld() {
        return heldBy != 0;
    }

    boolean isHeldBy(Reason reason) {
        return (heldBy & (1 << reason.ordinal())) != 0;
    }

    /** Stops decoding for good: the connection is closing. */
    void stop() {
        decoder.pause();
    }
}
