package dev.relay.engine.server;

import dev.relay.protocol.ContentStats;
import dev.relay.protocol.SmtpReply;
import org.jspecify.annotations.Nullable;

/**
 * The verbs that carry message content, DATA and BDAT (RFC 3030), and what the end of that content means: a
 * refusal, the acknowledgement of a chunk, or a message to accept, each as a {@link Step}. Pure apart from the
 * {@link SessionState} it updates.
 */
final class ContentCommands {

    /** DATA (RFC 5321 4.1.1.4). */
    Step data(SessionState state, String argument) {
        if (!argument.isBlank()) {
            return new Step.Reply(Replies.NO_ARGUMENTS);
        }
        Transaction transaction = state.transaction;
        if (transaction == null || state.chunking) {
            return new Step.Reply(transaction == null ? SmtpReply.of(503, "5.5.1", "Need MAIL command")
                    : Replies.BAD_SEQUENCE);
        }
        if (!transaction.hasRecipients()) {
            // RFC 2920 3.1: with pipelining, DATA after only rejected recipients gets 554, not 354.
            return new Step.Refuse(Rejection.NO_RECIPIENTS, Replies.NO_VALID_RECIPIENTS);
        }
        return new Step.StartData(SmtpReply.of(354, null, "End data with <CR><LF>.<CR><LF>"));
    }

    /** RFC 3030: {@code BDAT <size> [LAST]}; the chunk is always read, even when the command is refused. */
    Step bdat(SessionState state, String argument) {
        String[] words = argument.trim().split(" +");
        long size;
        try {
            size = Long.parseLong(words[0]);
        } catch (NumberFormatException e) {
            // Without a size we cannot know where the chunk ends: the connection cannot be kept in sync.
            return new Step.Close(SmtpReply.of(501, "5.5.4", "Syntax: BDAT size [LAST]; closing connection"));
        }
        if (size < 0 || words.length > 2 || (words.length == 2 && !words[1].equalsIgnoreCase("LAST"))) {
            return new Step.Close(SmtpReply.of(501, "5.5.4", "Syntax: BDAT size [LAST]; closing connection"));
        }
        boolean last = words.length == 2;
        Transaction transaction = state.transaction;
        boolean keep = transaction != null && transaction.hasRecipients() && !state.chunkingFailed;
        boolean first = !state.chunking;
        if (transaction != null) {
            state.chunking = true;
        }
        return new Step.StartChunk(size, last, keep, first);
    }

    /**
     * The end of DATA content or of a BDAT chunk ({@code mode} says which): a refused chunk's reply, a refusal of
     * the content, an acknowledgement of a chunk that is not the last, or the message to accept.
     */
    Step end(SessionState state, ContentMode mode, ContentStats stats) {
        if (mode instanceof ContentMode.DiscardedChunk) {
            SmtpReply reply = refusedChunk(state);
            if (mode.last()) {
                state.resetTransaction();
            }
            return new Step.Reply(reply);
        }
        Step.Refuse refusal = refusal(stats);
        if (refusal != null) {
            if (state.chunking && !mode.last()) {
                state.chunkingFailed = true; // its remaining chunks are read and refused
            } else {
                state.resetTransaction();
            }
            return refusal;
        }
        if (!mode.last()) {
            return new Step.Reply(SmtpReply.of(250, "2.0.0", stats.size() + " octets received"));
        }
        Transaction transaction = java.util.Objects.requireNonNull(state.transaction, "transaction");
        state.resetTransaction();
        return new Step.AcceptMessage(transaction, stats);
    }

    private static Step.@Nullable Refuse refusal(ContentStats stats) {
        if (stats.sizeExceeded()) {
            return new Step.Refuse(Rejection.SIZE, Replies.SIZE_EXCEEDED);
        }
        if (stats.nulByte()) {
            return new Step.Refuse(Rejection.CONTENT, Replies.NUL_IN_CONTENT);
        }
        if (stats.lineTooLong()) {
            return new Step.Refuse(Rejection.CONTENT, Replies.LINE_TOO_LONG_IN_CONTENT);
        }
        return null;
    }

    /** The reply for a BDAT chunk that was read and thrown away. */
    private static SmtpReply refusedChunk(SessionState state) {
        if (state.transaction == null) {
            return SmtpReply.of(503, "5.5.1", "Need MAIL command");
        }
        return state.chunkingFailed ? Replies.BAD_SEQUENCE : Replies.NO_VALID_RECIPIENTS;
    }
}
