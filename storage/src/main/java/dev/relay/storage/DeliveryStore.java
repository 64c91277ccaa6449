package dev.relay.storage;

import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The queue side of the spool: what the scheduler claims, loads and writes back. PostgreSQL stays the truth; a
 * claim marks recipients in flight for one node (several nodes can claim concurrently, never the same recipient),
 * and every update is one row change plus one event row. Implementations batch concurrent calls.
 */
public interface DeliveryStore {
    /** On start: everything {@code node} left in flight goes back to queued. Emits how many recipients. */
    Mono<Long> releaseClaims(String node);

    /** Records that {@code node} is alive; claims of nodes silent for longer than {@code staleAfter} are released. */
    Mono<Void> heartbeat(String node, Duration staleAfter);

    /**
     * Nodes whose last heartbeat is more recent than {@code staleAfter} (this one included once it has beaten), at
     * least 1; per-site limits are divided among them. Stores without nodes answer 1.
     */
    default Mono<Integer> liveNodes(Duration staleAfter) {
        return Mono.just(1);
    }

    /**
     * Claims up to {@code limit} due recipients (queued, next attempt not in the future), transactional before bulk,
     * then oldest due first, grouped by message. Completes empty when nothing is due.
     */
    default Flux<ClaimedMessage> claimDue(String node, int limit) {
        return claimDue(node, limit, java.util.Set.of());
    }

    /**
     * As {@link #claimDue(String, int)}, passing over recipients last routed to one of {@code skipSites} (sites that
     * hold their share of the node's window already); recipients never routed are claimed whatever their site.
     */
    Flux<ClaimedMessage> claimDue(String node, int limit, java.util.Set<String> skipSites);

    /**
     * Returns claimed recipients of one message to the queue without an attempt, no event and no change to their
     * next attempt time, remembering the site they were routed to: the node took them but their site already holds
     * its share of the window. Applies only to recipients still in flight for {@code node}. Emits how many.
     */
    Mono<Long> unclaim(String node, MessageId message, List<Integer> indexes, String site);

    /** The message content as stored (unstuffed, CRLF line ends); empty when the message is gone. */
    Mono<byte[]> content(MessageId id);

    /**
     * The contents of several messages in one round trip, in no particular order; messages that are gone are
     * missing from the result. For claimed backlogs, where reading each message alone would cost a round trip per
     * message.
     */
    Flux<StoredContent> contents(List<MessageId> ids);

    /** One message's content, as {@link #contents} returns it. */
    record StoredContent(MessageId id, byte[] content) {
        public StoredContent {
            java.util.Objects.requireNonNull(id, "id");
            java.util.Objects.requireNonNull(content, "content");
        }
    }

    /**
     * Applies the updates (final ones retire the recipient, DEFERRED requeues it for its next attempt) with their
     * events; a message whose last recipient became final is deleted. Completes after COMMIT.
     */
    Mono<Void> record(List<RecipientUpdate> updates);
}
