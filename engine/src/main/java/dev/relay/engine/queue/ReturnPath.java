package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.util.List;

/**
 * The MAIL FROM of a delivery: the stored reverse path, or (VERP, {@code bounces.verp}) an address naming the
 * message and recipient, which then needs one recipient per delivery; decided per message (its system may have
 * VERP on or off). Immutable implementations.
 */
public interface ReturnPath {
    /** The stored reverse path, several recipients per delivery as the site allows. */
    ReturnPath ORIGINAL = new ReturnPath() {
        @Override
        public String of(ClaimedMessage message, List<ClaimedRecipient> recipients) {
            return message.reversePath();
        }

        @Override
        public boolean onePerRecipient(ClaimedMessage message) {
            return false;
        }
    };

    /** The reverse path for delivering {@code recipients} of {@code message} ("" for the null path). */
    String of(ClaimedMessage message, List<ClaimedRecipient> recipients);

    /** Whether each delivery of {@code message} may carry one recipient only (VERP is decided per message). */
    boolean onePerRecipient(ClaimedMessage message);
}
