package dev.relay.engine.intake;

import dev.relay.engine.identity.Identities;
import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.queue.ReturnPath;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.SystemRecords.SystemInfo;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * VERP at delivery: the MAIL FROM of each delivery is {@code <prefix><token>@<bounce domain>}, the token naming the
 * message and its one recipient, so every delivery carries a single RCPT. The null reverse path stays null: the
 * relay's own DSNs must never be bounced. The original sender stays in the spool, for the relay's DSNs and notices.
 * Per message: its connected system ({@code message.account()}) may have VERP on or off ({@code relay system set
 * --verp}), read from the identities snapshot in force; a message without a system, or whose system says
 * {@code default} or is unknown, follows {@code bounces.verp.enabled}. Immutable (the snapshot is the caller's).
 */
public final class VerpReturnPath implements ReturnPath {
    private final VerpCodec codec;
    private final boolean enabledByDefault;
    private final Supplier<Identities> identities;

    /** VERP for every message. */
    public VerpReturnPath(VerpCodec codec) {
        this(codec, true, () -> Identities.EMPTY);
    }

    /**
     * @param enabledByDefault {@code bounces.verp.enabled}: for messages whose system has no setting of its own
     * @param identities       the connected systems in force
     */
    public VerpReturnPath(VerpCodec codec, boolean enabledByDefault, Supplier<Identities> identities) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.enabledByDefault = enabledByDefault;
        this.identities = Objects.requireNonNull(identities, "identities");
    }

    /** Whether {@code message}'s deliveries get a VERP sender; the null reverse path never does. */
    boolean applies(ClaimedMessage message) {
        if (message.reversePath().isEmpty()) {
            return false;
        }
        String system = message.account();
        SystemInfo info = system == null ? null : identities.get().system(system);
        Boolean own = info == null ? null : info.verp();
        return own != null ? own : enabledByDefault;
    }

    @Override
    public String of(ClaimedMessage message, List<ClaimedRecipient> recipients) {
        if (!applies(message) || recipients.size() != 1) {
            return message.reversePath(); // one recipient per delivery (onePerRecipient): the second is a bug's
        }
        return codec.address(message.id(), recipients.get(0).index()).toString();
    }

    @Override
    public boolean onePerRecipient(ClaimedMessage message) {
        return applies(message);
    }
}
