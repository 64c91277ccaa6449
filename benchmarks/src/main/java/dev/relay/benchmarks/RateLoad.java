package dev.relay.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop SMTP load for the latency-under-load run ({@code latency-bench.sh}): message k is due at
 * {@code start + k / rate}, whatever the server does, for {@code warmup + duration} seconds. The main thread puts
 * each message on a queue at its due time; up to {@code --sessions} connections take them, a new connection being
 * opened only when a message arrives and no connection is free. A message that waits for a free connection keeps
 * its due time, so the server's slowness is not hidden (no coordinated omission): its <em>response</em> latency is
 * from the due time to the {@code 250}, its <em>service</em> latency from the final dot written to the {@code 250}
 * (as {@code smtp-load} measures). Only messages due after the warm-up count.
 *
 * <p>The run always ends: the schedule is finite, every read has {@code --io-timeout}, and past the last arrival plus
 * {@code --drain-timeout} the remaining connections are closed and their messages count as errors or unfinished.
 * It prints one key=value line (see {@link LoadResults#summary}, plus {@code sessions_max}, the most connections
 * open at once, and {@code dispatch_lag_max_ms}, the load tool's own worst lateness in releasing a measured
 * message: if it is not small against the latencies, the load tool itself was short of CPU).
 *
 * <pre>java -cp benchmarks.jar dev.relay.benchmarks.RateLoad --target 127.0.0.1:2525 --rate 500 --duration 30</pre>
 */
public final class RateLoad implements LoadSession.Arrivals {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final RateLoadOptions options;
    private final LoadMessage message;
    private final LoadResults results;
    private final LinkedBlockingQueue<Integer> due = new LinkedBlockingQueue<>();
    private final List<LoadSession> sessions = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicInteger busy = new AtomicInteger();
    private final int total;
    private final long start;
    /** The wall clock at {@link #start}, for lining a trace up with other logs (within a millisecond or two). */
    private final long startEpochMillis;
    private final long hardDeadline;
    private volatile boolean dispatched;
    private int sessionsMax;
    private long lagMaxNanos;

    private RateLoad(RateLoadOptions options) {
        this.options = options;
        this.total = (int) options.totalMessages();
        this.message = new LoadMessage(options.runId(), options.size());
        this.results = new LoadResults(total);
        // a short head start so the first arrivals are not late because of class loading
        this.start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
        this.startEpochMillis = System.currentTimeMillis() + 200;
        this.hardDeadline = start + options.warmup().plus(options.duration()).plus(options.drainTimeout()).toNanos();
    }

    public static void main(String[] args) throws InterruptedException {
        if (Arrays.asList(args).contains("--help")) {
            System.out.print(RateLoadOptions.USAGE);
            return;
        }
        RateLoadOptions options;
        try {
            options = RateLoadOptions.parse(Arrays.asList(args));
        } catch (IllegalArgumentException e) {
            System.err.println("RateLoad: " + e.getMessage());
            System.err.print(RateLoadOptions.USAGE);
            System.exit(2);
            return;
        }
        System.err.println("RateLoad: " + options.describe());
        System.out.println(run(options));
        System.out.flush();
        // session threads are daemons and have been cut off; nothing else may keep the JVM alive
        System.exit(0);
    }

    /** Runs the whole schedule and returns the result line; returns by the hard deadline plus a few seconds. */
    static String run(RateLoadOptions options) throws InterruptedException {
        return new RateLoad(options).measure();
    }

    private String measure() throws InterruptedException {
        dispatch();
        dispatched = true;
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(hardDeadline - System.nanoTime())));
        }
        sessions.forEach(LoadSession::abort);
        long grace = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Thread t : threads) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(grace - System.nanoTime())));
        }
        int first = (int) options.firstMeasured();
        String trace = System.getProperty("rateload.trace", "");
        if (!trace.isEmpty()) {
            try {
                results.writeTrace(java.nio.file.Path.of(trace), first, total, "start_epoch_ms=" + startEpochMillis);
            } catch (java.io.IOException e) {
                System.err.println("RateLoad: trace not written: " + e.getMessage());
            }
        }
        String label = options.label().isEmpty() ? "" : "label=" + options.label() + " ";
        return label + results.summary(first, total, scheduledNanos(first), options.rate())
                + String.format(Locale.ROOT, " sessions_max=%d dispatch_lag_max_ms=%.3f warmup_s=%d duration_s=%d"
                                + " size=%d per_conn=%d run_id=%s", sessionsMax, lagMaxNanos / 1e6,
                        options.warmup().toSeconds(), options.duration().toSeconds(), options.size(),
                        options.perConn(), options.runId());
    }

    /** Releases every message at its due time; a late wake-up releases all that are due at once. */
    private void dispatch() {
        int measured = (int) options.firstMeasured();
        for (int k = 0; k < total; k++) {
            long at = scheduledNanos(k);
            long now = System.nanoTime();
            for (int naps = 0; now < at && naps < 1_000_000; naps++) {
                LockSupport.parkNanos(at - now);
                now = System.nanoTime();
            }
            if (k >= measured) {
                lagMaxNanos = Math.max(lagMaxNanos, now - at);
            }
            due.add(k);
            // a connection that has not taken a message yet (still starting, or waiting) counts as free
            if (due.size() > live.get() - busy.get() && live.get() < options.maxSessions()) {
                spawn();
            }
        }
    }

    private void spawn() {
        LoadSession session = new LoadSession(options, message, results, this);
        Thread t = new Thread(session, "load-" + sessions.size());
        t.setDaemon(true);
        live.incrementAndGet();
        sessions.add(session);
        threads.add(t);
        sessionsMax = Math.max(sessionsMax, live.get());
        t.start();
    }

    @Override
    public int take() throws InterruptedException {
        while (System.nanoTime() < hardDeadline) {
            Integer k = due.poll(POLL_NANOS, TimeUnit.NANOSECONDS);
            if (k != null) {
                busy.incrementAndGet();
                return k;
            }
            if (dispatched && due.isEmpty()) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public void done() {
        busy.decrementAndGet();
    }

    @Override
    public void left() {
        live.decrementAndGet();
    }

    @Override
    public long scheduledNanos(int k) {
        return start + Math.round(k * 1e9 / options.rate());
    }
}
