package dev.relay.storage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Natural batching of record() calls, like {@link GroupCommitSpool}: calls go into a bounded lock-free queue; up to
 * {@code committers} workers each take what queued up while the previous batch committed (whole calls, up to
 * {@code maxBatch} updates, at least one call) and write it with {@code writer}, then complete every member. No
 * timer. A full queue or a closed committer fails at once; a failed batch fails all its members.
 */
final class RecordCommitter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RecordCommitter.class);
    /** Upper bound on one batch, so a hung connection cannot hold callers forever. */
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(30);

    private final DeliveryStoreSettings settings;
    private final RecordObserver observer;
    private final Function<List<RecipientUpdate>, Mono<?>> writer;
    private final ConcurrentLinkedQueue<PendingRecord> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger activeCommitters = new AtomicInteger();
    private volatile boolean closed;

    RecordCommitter(DeliveryStoreSettings settings, RecordObserver observer,
                    Function<List<RecipientUpdate>, Mono<?>> writer) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    Mono<Void> submit(List<RecipientUpdate> updates) {
        return Mono.create(sink -> {
            PendingRecord pending = new PendingRecord(updates, sink);
            if (closed) {
                pending.fail(new SpoolUnavailableException("delivery store closed"));
                return;
            }
            if (queued.incrementAndGet() > settings.queueCapacity()) {
                queued.decrementAndGet();
                pending.fail(new SpoolUnavailableException("record queue full"));
                return;
            }
            queue.offer(pending);
            sink.onCancel(pending::cancel);
            if (closed) {
                failQueued(); // close() may have drained the queue before our offer
                return;
            }
            drain();
        });
    }

    private void drain() {
        while (!queue.isEmpty()) {
            int active = activeCommitters.get();
            if (active >= settings.committers()) {
                return;
            }
            if (!activeCommitters.compareAndSet(active, active + 1)) {
                continue;
            }
            List<PendingRecord> batch = takeBatch();
            if (batch.isEmpty()) {
                activeCommitters.decrementAndGet();
                continue;
            }
            try {
                commit(batch);
            } catch (RuntimeException | Error e) {
                failed(batch, 0, e); // never leak a committer slot
            }
        }
    }

    /** Whole calls only, so each caller's updates commit together. */
    private List<PendingRecord> takeBatch() {
        List<PendingRecord> live = new ArrayList<>();
        int updates = 0;
        PendingRecord p;
        while ((p = queue.peek()) != null
                && (live.isEmpty() || updates + p.updates().size() <= settings.maxBatch())) {
            if (!queue.remove(p)) {
                continue; // taken by another committer meanwhile
            }
            queued.decrementAndGet();
            if (!p.isCancelled()) {
                live.add(p);
                updates += p.updates().size();
            }
        }
        return live;
    }

    private void commit(List<PendingRecord> batch) {
        List<RecipientUpdate> all = new ArrayList<>();
        for (PendingRecord p : batch) {
            all.addAll(p.updates());
        }
        long start = System.nanoTime();
        AtomicBoolean done = new AtomicBoolean(); // exactly one outcome per batch, whatever the signals
        writer.apply(all).timeout(BATCH_TIMEOUT).subscribe(
                v -> { },
                err -> {
                    if (done.compareAndSet(false, true)) {
                        failed(batch, all.size(), err);
                    }
                },
                () -> {
                    if (done.compareAndSet(false, true)) {
                        succeeded(batch, all.size(), System.nanoTime() - start);
                    }
                });
    }

    private void succeeded(List<PendingRecord> batch, int updates, long nanos) {
        try {
            for (PendingRecord p : batch) {
                p.succeed();
            }
            observer.batchRecorded(batch.size(), updates, nanos);
        } catch (RuntimeException e) {
            log.error("delivery observer or subscriber failed after commit", e);
        } finally {
            finished();
        }
    }

    private void failed(List<PendingRecord> batch, int updates, Throwable err) {
        try {
            log.warn("record batch of {} updates failed: {}", updates, err.toString());
            for (PendingRecord p : batch) {
                p.fail(new SpoolUnavailableException("record failed: " + err.getMessage(), err));
            }
            observer.batchFailed(batch.size(), updates, err);
        } catch (RuntimeException e) {
            log.error("delivery observer or subscriber failed after a failed batch", e);
        } finally {
            finished();
        }
    }

    private void finished() {
        activeCommitters.decrementAndGet();
        if (!closed) {
            drain();
        } else {
            failQueued();
        }
    }

    private void failQueued() {
        PendingRecord p;
        while ((p = queue.poll()) != null) {
            queued.decrementAndGet();
            p.fail(new SpoolUnavailableException("delivery store closed"));
        }
    }

    @Override
    public void close() {
        closed = true;
        failQueued();
    }
}
