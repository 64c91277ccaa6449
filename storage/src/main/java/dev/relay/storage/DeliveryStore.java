package dev.relay.storage;

import java.time.Duration;
import java.util.List;
import java.util.Map;
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

    /**
     * Records that {@code node} is alive; claims of nodes silent for longer than {@code staleAfter} are released.
     * Emits how long ago the node's previous heartbeat was and whose claims this call released.
     */
    Mono<Heartbeat> heartbeat(String node, Duration staleAfter);

    /**
     * One heartbeat's result: the time since this node's previous heartbeat by the database's clock (the one other
     * nodes judge staleness by; null for the first), and the nodes whose claims it released, with how many recipients.
     */
    record Heartbeat(@org.jspecify.annotations.Nullable Duration sincePrevious, Map<String, Long> takenOver) {
        public Heartbeat {
            takenOver = Map.copyOf(takenOver);
        }
    }

    /** When {@code node} last heartbeat and how long ago (by the database's clock); empty when it never did. */
    default Mono<NodeBeat> lastBeat(String node) {
        return Mono.empty();
    }

    /** A node's last heartbeat. */
    record NodeBeat(java.time.Instant at, Duration age) {}

    /** A node stopping cleanly: it no longer counts as live, and its name is free at once. */
    default Mono<Void> leave(String node) {
        return Mono.empty();
    }

    /**
     * Returns one message's recipients still in flight for {@code node} to the queue: a message stored as claimed
     * whose commit outcome was unknown to the node (it timed out, then committed), so nothing holds it in memory.
     */
    default Mono<Long> releaseMessage(String node, MessageId id) {
        return Mono.just(0L);
    }

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

    /**
     * {@link #record}, fenced by claim: an update applies only where the recipient is still in flight for
     * {@code node}; an update for a recipient another node took over (or that is gone) changes nothing.
     */
    Mono<Void> record(String node, List<RecipientUpdate> updates);
}
