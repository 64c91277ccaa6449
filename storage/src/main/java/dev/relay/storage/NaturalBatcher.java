package dev.relay.storage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Natural batching, shared by the spool's group commit and the delivery store's write-back: members go into a
 * bounded lock-free queue (producers on event loops never park); up to {@code committers} workers each take what
 * queued up while their previous batch was written (whole members, up to {@code maxWeight}, at least one member)
 * and write it with {@code writer}, then complete every member. With a {@link Pace}, a committer whose batch was
 * not full and took less than the pace's interval rests for the rest of it before taking the next batch, so that at
 * moderate rates one batch carries an interval's members instead of one or two (see {@link Pace}); without one
 * there is no timer. A full queue or a closed batcher fails a member at once. A batch that fails transiently
 * ({@link StorageErrors#isTransient}) fails all its members and the next batch tries again; one that fails
 * permanently is written again member by member, so the one member that can never be written fails alone and the
 * others succeed. Cancelling a queued member drops it ({@link Pending#discard}); cancelling one already in a batch
 * does not stop the write.
 */
final class NaturalBatcher<P extends NaturalBatcher.Pending> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NaturalBatcher.class);
    /** Upper bound on one batch, so a hung connection cannot hold callers forever. */
    private static final Duration BATCH_TIMEOUT = Duration.ofSeconds(30);

    /** One caller waiting in or written with a batch. */
    interface Pending {
        /** What this member counts against the batch limit. */
        int weight();

        boolean isCancelled();

        /** Left the queue cancelled, never written: release what it holds. */
        void discard();

        void succeed();

        void fail(Throwable error);

        /** For logs: which message or how much. */
        String describe();
    }

    /** Hooks for metrics, called after the members were completed; must not block. */
    interface Observer<P> {
        void written(List<P> batch, long nanos);

        void failed(List<P> batch, Throwable cause);
    }

    /** The texts of the {@link SpoolUnavailableException}s members fail with, and the name used in logs. */
    record Texts(String name, String closed, String full, String failedPrefix) {
        Texts {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(closed, "closed");
            Objects.requireNonNull(full, "full");
            Objects.requireNonNull(failedPrefix, "failedPrefix");
        }
    }

    /**
     * At most one batch start per committer every {@code minInterval}: each batch costs a transaction whatever it
     * holds, and natural batching alone makes batches of one or two members at moderate rates. A full batch does
     * not rest. {@code timer} measures and waits out the interval (a virtual-time scheduler in tests).
     *
     * <p>{@code whileGathering} is for batches a caller waits for (the {@code 250}): a committer rests only when
     * the rest is likely to gather members, that is when members arrived while its batch was written or its last
     * rest ended with several queued. A lone client that sends its next message only after the reply to the last
     * one never makes a committer rest (every rest would only delay it), while many concurrent senders keep it
     * resting and share the transactions. Without it the committer always rests (writes off every caller's
     * critical path).
     */
    record Pace(Duration minInterval, Scheduler timer, boolean whileGathering) {
        static final Pace NONE = new Pace(Duration.ZERO, Schedulers.immediate(), false);

        Pace {
            Objects.requireNonNull(minInterval, "minInterval");
            Objects.requireNonNull(timer, "timer");
            if (minInterval.isNegative()) {
                throw new IllegalArgumentException("minInterval must be >= 0, was " + minInterval);
            }
        }

        /** Always rests after a batch that was not full. */
        Pace(Duration minInterval, Scheduler timer) {
            this(minInterval, timer, false);
        }
    }

    private final int committers;
    private final int maxWeight;
    private final int queueCapacity;
    private final Texts texts;
    private final Function<List<P>, Mono<?>> writer;
    private final Observer<P> observer;
    private final Pace pace;
    private final ConcurrentLinkedQueue<P> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger activeCommitters = new AtomicInteger();
    /**
     * Whether the last rest ended with at least two members queued ({@link Pace#whileGathering}): one is what a
     * lone client sends during a rest, after the reply to its last message, and would keep a committer resting for
     * it alone. Written by whichever committer's rest ended last; with several committers a stale value only costs
     * or saves one rest.
     */
    private volatile boolean lastRestGathered;
    private volatile boolean closed;

    /** {@code writer} completes (with or without a value) when the batch is durable, errors otherwise. */
    NaturalBatcher(int committers, int maxWeight, int queueCapacity, Texts texts, Function<List<P>, Mono<?>> writer,
                   Observer<P> observer, Pace pace) {
        if (committers < 1 || maxWeight < 1 || queueCapacity < 1) {
            throw new IllegalArgumentException("committers, maxWeight and queueCapacity must be >= 1");
        }
        this.committers = committers;
        this.maxWeight = maxWeight;
        this.queueCapacity = queueCapacity;
        this.texts = Objects.requireNonNull(texts, "texts");
        this.writer = Objects.requireNonNull(writer, "writer");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.pace = Objects.requireNonNull(pace, "pace");
    }

    /**
     * Queues {@code pending} (or fails it at once when closed or full). {@code onCancelRegistration} hooks the
     * caller's cancellation to the member; it runs only once the member is queued.
     */
    void offer(P pending, Runnable onCancelRegistration) {
        if (closed) {
            pending.fail(new SpoolUnavailableException(texts.closed()));
            return;
        }
        if (queued.incrementAndGet() > queueCapacity) {
            queued.decrementAndGet();
            log.warn("{} {} queue full ({}), rejecting", pending.describe(), texts.name(), queueCapacity);
            pending.fail(new SpoolUnavailableException(texts.full()));
            return;
        }
        queue.offer(pending);
        onCancelRegistration.run();
        if (closed) {
            failQueued(); // close() may have drained the queue before our offer
            return;
        }
        drain();
    }

    /** Members waiting for a committer (not counting batches being written). */
    int queued() {
        return queued.get();
    }

    /** Starts committers while there is work and a free committer slot. */
    private void drain() {
        while (!queue.isEmpty()) {
            int active = activeCommitters.get();
            if (active >= committers) {
                return;
            }
            if (!activeCommitters.compareAndSet(active, active + 1)) {
                continue;
            }
            List<P> batch = takeBatch();
            if (batch.isEmpty()) {
                activeCommitters.decrementAndGet();
                continue;
            }
            try {
                write(batch);
            } catch (RuntimeException | Error e) {
                // Thrown before the write was subscribed (e.g. by the pool): without this the committer slot
                // would leak and, once every slot leaked, no member would ever complete again.
                failed(batch, e, 0);
            }
        }
    }

    /** Whole members only, so each caller's part commits together. */
    private List<P> takeBatch() {
        List<P> live = new ArrayList<>();
        int weight = 0;
        P p;
        while ((p = queue.peek()) != null && (live.isEmpty() || weight + p.weight() <= maxWeight)) {
            if (!queue.remove(p)) {
                continue; // taken by another committer meanwhile
            }
            queued.decrementAndGet();
            if (p.isCancelled()) {
                p.discard();
            } else {
                live.add(p);
                weight += p.weight();
            }
        }
        return live;
    }

    private void write(List<P> batch) {
        long start = System.nanoTime();
        long restUntil = restUntil(batch);
        AtomicBoolean done = new AtomicBoolean(); // exactly one outcome per batch, whatever the signals
        writer.apply(batch).timeout(BATCH_TIMEOUT).subscribe(
                v -> { },
                err -> {
                    if (done.compareAndSet(false, true)) {
                        failed(batch, err, restUntil);
                    }
                },
                () -> {
                    if (done.compareAndSet(false, true)) {
                        succeeded(batch, System.nanoTime() - start, restUntil);
                    }
                });
    }

    /** When this batch's committer may take the next one, on the pace's clock; 0 for at once. */
    private long restUntil(List<P> batch) {
        if (pace.minInterval().isZero()) {
            return 0;
        }
        int weight = 0;
        for (P p : batch) {
            weight += p.weight();
        }
        return weight >= maxWeight ? 0 : pace.timer().now(TimeUnit.NANOSECONDS) + pace.minInterval().toNanos();
    }

    private void succeeded(List<P> batch, long nanos, long restUntil) {
        try {
            for (P p : batch) {
                p.succeed();
            }
            observer.written(batch, nanos);
        } catch (RuntimeException e) {
            log.error("{} observer or subscriber failed after a written batch", texts.name(), e);
        } finally {
            finished(restUntil);
        }
    }

    private void failed(List<P> batch, Throwable err, long restUntil) {
        if (batch.size() > 1 && !closed && !StorageErrors.isTransient(err)) {
            isolate(batch, err);
            return;
        }
        try {
            log.warn("{} batch of {} failed, first {}: {}", texts.name(), batch.size(), batch.get(0).describe(),
                    err.toString());
            for (P p : batch) {
                p.fail(new SpoolUnavailableException(texts.failedPrefix() + err.getMessage(), err));
            }
            observer.failed(batch, err);
        } catch (RuntimeException e) {
            log.error("{} observer or subscriber failed after a failed batch", texts.name(), e);
        } finally {
            finished(restUntil);
        }
    }

    /**
     * A permanent failure is caused by some member's data, and would fail every batch that member is written with:
     * each member is written alone, in order, on this committer slot (rare, so its cost does not matter).
     */
    private void isolate(List<P> batch, Throwable err) {
        log.warn("{} batch of {} failed permanently ({}); writing its members one by one", texts.name(),
                batch.size(), err.toString());
        Flux.fromIterable(batch)
                .concatMap(p -> {
                    long start = System.nanoTime();
                    return Mono.defer(() -> writer.apply(List.of(p))).timeout(BATCH_TIMEOUT).then()
                            .doOnSuccess(v -> succeededAlone(p, System.nanoTime() - start))
                            .onErrorResume(e -> {
                                failedAlone(p, e);
                                return Mono.empty();
                            });
                })
                .doFinally(signal -> finished(0))
                .subscribe(null, e -> log.error("{} isolating a failed batch failed", texts.name(), e));
    }

    private void succeededAlone(P p, long nanos) {
        try {
            p.succeed();
            observer.written(List.of(p), nanos);
        } catch (RuntimeException e) {
            log.error("{} observer or subscriber failed after a written member", texts.name(), e);
        }
    }

    private void failedAlone(P p, Throwable err) {
        try {
            log.warn("{} {} failed alone: {}", texts.name(), p.describe(), err.toString());
            p.fail(new SpoolUnavailableException(texts.failedPrefix() + err.getMessage(), err));
            observer.failed(List.of(p), err);
        } catch (RuntimeException e) {
            log.error("{} observer or subscriber failed after a failed member", texts.name(), e);
        }
    }

    /**
     * The committer's slot stays taken until {@code restUntil} (the pace's clock; 0: now), then takes a batch; with
     * {@link Pace#whileGathering}, only while resting gathers members.
     */
    private void finished(long restUntil) {
        long wait = restUntil == 0 || closed ? 0 : restUntil - pace.timer().now(TimeUnit.NANOSECONDS);
        if (wait > 0 && pace.whileGathering() && queue.isEmpty() && !lastRestGathered) {
            wait = 0; // nobody is coming: resting would only delay the next lone member
        }
        if (wait > 0) {
            try {
                pace.timer().schedule(() -> {
                    lastRestGathered = queued.get() >= 2;
                    release();
                }, wait, TimeUnit.NANOSECONDS);
                return;
            } catch (RejectedExecutionException stopping) {
                // the timer is shut down with the relay: no rest then
            }
        }
        release();
    }

    private void release() {
        activeCommitters.decrementAndGet();
        if (!closed) {
            drain();
        } else {
            failQueued();
        }
    }

    private void failQueued() {
        P p;
        while ((p = queue.poll()) != null) {
            queued.decrementAndGet();
            p.fail(new SpoolUnavailableException(texts.closed()));
        }
    }

    /** Rejects new members and fails the queued ones; batches already being written finish. */
    @Override
    public void close() {
        closed = true;
        failQueued();
    }
}
