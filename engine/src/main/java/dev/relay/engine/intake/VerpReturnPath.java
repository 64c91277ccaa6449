package dev.relay.engine.intake;

import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.queue.ReturnPath;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import java.util.List;
import java.util.Objects;

/**
 * VERP at delivery: the MAIL FROM of each delivery is {@code <prefix><token>@<bounce domain>}, the token naming the
 * message and its one recipient, so every delivery carries a single RCPT. The null reverse path stays null: the
 * relay's own DSNs must never be bounced. The original sender stays in the spool, for the relay's DSNs and notices.
 * Immutable.
 */
public final class VerpReturnPath implements ReturnPath {
    private final VerpCodec codec;

    public VerpReturnPath(VerpCodec codec) {
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public String of(ClaimedMessage message, List<ClaimedRecipient> recipients) {
        if (message.reversePath().isEmpty() || recipients.size() != 1) {
            return message.reversePath(); // one recipient per delivery (onePerRecipient): the second is a bug's
        }
        return codec.address(message.id(), recipients.get(0).index()).toString();
    }

    @Override
    public boolean onePerRecipient() {
        return true;
    }
}
