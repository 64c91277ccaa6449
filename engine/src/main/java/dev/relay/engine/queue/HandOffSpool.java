package dev.relay.engine.queue;

import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.Spool;
import dev.relay.storage.SpoolUnavailableException;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * The front door's spool when this node delivers: when the scheduler's window has room, a message is committed with
 * its recipients already claimed by this node and handed to the scheduler right after COMMIT (no claim query, no
 * content read-back); otherwise it is stored queued and claimed later. Either way 250 still follows COMMIT only.
 * A claimed store that fails or is cancelled may still commit later: the scheduler returns it to the queue then.
 */
public final class HandOffSpool implements Spool {
    private final Spool spool;
    private final DeliveryScheduler scheduler;

    public HandOffSpool(Spool spool, DeliveryScheduler scheduler) {
        this.spool = Objects.requireNonNull(spool, "spool");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    @Override
    public Mono<Void> store(IncomingMessage message) {
        int n = message.recipients().size();
        if (!scheduler.reserve(n)) {
            return spool.store(message);
        }
        // copied before the spool releases the buffer; the cache holds it until the first delivery
        byte[] content = ByteBufUtil.getBytes(message.content());
        ClaimedMessage claimed = claimed(message);
        return spool.storeClaimed(message, scheduler.node())
                .doOnSuccess(v -> scheduler.offer(claimed, content))
                .doOnError(e -> {
                    scheduler.cancel(n);
                    if (!(e instanceof SpoolUnavailableException && e.getCause() == null)) {
                        scheduler.uncertain(message.id()); // it may still commit; queue full or closed never does
                    }
                })
                .doOnCancel(() -> {
                    scheduler.cancel(n);
                    scheduler.uncertain(message.id());
                });
    }

    @Override
    public Mono<Void> storeClaimed(IncomingMessage message, String node) {
        return spool.storeClaimed(message, node);
    }

    private static ClaimedMessage claimed(IncomingMessage m) {
        List<ClaimedRecipient> recipients = new ArrayList<>(m.recipients().size());
        for (int i = 0; i < m.recipients().size(); i++) {
            String address = m.recipients().get(i);
            recipients.add(new ClaimedRecipient(i, address, IncomingMessage.domainOf(address), 0));
        }
        return new ClaimedMessage(m.id(), m.reversePath(), m.priority(), m.receivedAt(), m.size(), m.body8bit(),
                m.smtputf8(), recipients, m.account());
    }
}
