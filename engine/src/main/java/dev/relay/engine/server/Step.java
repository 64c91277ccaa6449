package dev.relay.engine.server;

import dev.relay.engine.auth.AuthResult;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.SmtpReply;

/**
 * What a command handler decided, as a value: the session (the only code that touches the channel) carries it out.
 */
sealed interface Step {

    /** Write the reply and read the next command. */
    record Reply(SmtpReply reply) implements Step {
    }

    /** Write the reply, counting the refusal of a message under {@code reason}. */
    record Refuse(Rejection reason, SmtpReply reply) implements Step {
    }

    /** Write the reply, flush, close the connection. */
    record Close(SmtpReply reply) implements Step {
    }

    /** Write 354 and switch the decoder to message content. */
    record StartData(SmtpReply reply) implements Step {
    }

    /** Switch the decoder to a BDAT chunk; {@code keep} is false when the chunk is read only to be discarded. */
    record StartChunk(long size, boolean last, boolean keep, boolean first) implements Step {
    }

    /** Write 220 in the clear, then negotiate TLS, discarding any plaintext the client pipelined behind STARTTLS. */
    record StartTls(SmtpReply reply) implements Step {
    }

    /** Write a 334 challenge and read the next line as an AUTH response. */
    record Challenge(SmtpReply reply) implements Step {
    }

    /**
     * The content of the message is complete and clean; the transaction is over: accept the message (loop check,
     * headers) and store it, replying only after the COMMIT.
     */
    record AcceptMessage(Transaction transaction, ContentStats stats) implements Step {
    }

    /** Check a user's password (slow by design: off the event loop), then reply 235 or 535. */
    record VerifyPassword(String user, String password) implements Step {
    }

    /** The password check decided: count it, apply it to the session (235, 535, or 421 after too many). */
    record PasswordChecked(String user, AuthResult result) implements Step {
    }

    /**
     * RCPT of {@code mailbox} needs the suppression list's answer, not cached yet: ask it off the event loop, then
     * {@link RecipientChecked}.
     */
    record CheckRecipient(dev.relay.protocol.Mailbox mailbox, String scope, String address) implements Step {
    }

    /** The suppression list answered for an RCPT: accept the recipient, or refuse it. */
    record RecipientChecked(dev.relay.protocol.Mailbox mailbox, SuppressionCheck.Verdict verdict) implements Step {
    }

    /** The spool committed the message (a COMMIT that began at {@code startedNanos}): count it, reply 250. */
    record Stored(MessageAcceptance.Accepted accepted, long size, long startedNanos) implements Step {
    }
}
