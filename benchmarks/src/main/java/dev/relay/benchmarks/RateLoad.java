package dev.relay.benchmarks;

import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Open-loop SMTP load for the latency-under-load run ({@code latency-bench.sh}): message k is due at
 * {@code start + k / rate}, whatever the server does, for {@code warmup + duration} seconds. One thread runs a
 * selector over up to {@code --sessions} non-blocking connections ({@link LoadConnection}): at each message's due
 * time it goes to an idle connection, or a new connection is opened for it when none is idle. A message that waits
 * for a free connection keeps its due time, so the server's slowness is not hidden (no coordinated omission): its
 * <em>response</em> latency is from the due time to the {@code 250}, its <em>service</em> latency from the final dot
 * written to the {@code 250} (as {@code smtp-load} measures). Only messages due after the warm-up count.
 *
 * <p>One thread and no hand-offs because the load tool shares the machine with the server it measures: the first
 * version, a blocking thread per connection fed from a queue, took 0.5 of the 2 cores at 2,550 msg/s (the relay and
 * its PostgreSQL 1.3), while {@code smtp-load}, which measures the maximum the levels are taken from, is a
 * single-threaded epoll loop; so at "80 %" the machine ran short of CPU for the server.
 *
 * <p>The run always ends: the schedule is finite, every reply has {@code --io-timeout}, and past the last arrival plus
 * {@code --drain-timeout} the remaining connections are closed and their messages count as errors or unfinished.
 * It prints one key=value line (see {@link LoadResults#summary}, plus {@code sessions_max}, the most connections
 * open at once, and {@code dispatch_lag_max_ms}, the load tool's own worst lateness in releasing a measured
 * message: if it is not small against the latencies, the load tool itself was short of CPU).
 *
 * <pre>java -cp benchmarks.jar dev.relay.benchmarks.RateLoad --target 127.0.0.1:2525 --rate 500 --duration 30</pre>
 */
public final class RateLoad implements LoadConnection.Run {
    /** How often overdue replies are looked for. */
    private static final long TIMEOUT_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final RateLoadOptions options;
    private final LoadMessage message;
    private final LoadResults results;
    /** The selector thread's state, like everything below. */
    private final ArrayDeque<Integer> due = new ArrayDeque<>();
    private final ArrayDeque<LoadConnection> idle = new ArrayDeque<>();
    private final Set<LoadConnection> open = new HashSet<>();
    private final int total;
    private final long start;
    /** The wall clock at {@link #start}, for lining a trace up with other logs (within a millisecond or two). */
    private final long startEpochMillis;
    private final long hardDeadline;
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
        System.exit(0);
    }

    /** Runs the whole schedule and returns the result line; returns by the hard deadline plus a few seconds. */
    static String run(RateLoadOptions options) throws InterruptedException {
        return new RateLoad(options).measure();
    }

    private String measure() throws InterruptedException {
        try (Selector selector = Selector.open()) {
            drive(selector);
        } catch (IOException e) {
            System.err.println("RateLoad: selector failed: " + e);
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

    /** The selector loop: releases messages at their due times, drives the connections, ends the run. */
    private void drive(Selector selector) throws IOException {
        int measured = (int) options.firstMeasured();
        int next = 0;
        boolean quitting = false;
        long nextTimeoutCheck = System.nanoTime() + TIMEOUT_CHECK_NANOS;
        while (true) {
            long now = System.nanoTime();
            if (now - hardDeadline >= 0) {
                new ArrayList<>(open).forEach(LoadConnection::abort);
                return;
            }
            for (; next < total && scheduledNanos(next) - now <= 0; next++) {
                if (next >= measured) {
                    lagMaxNanos = Math.max(lagMaxNanos, now - scheduledNanos(next));
                }
                due.add(next);
            }
            while (!due.isEmpty() && !idle.isEmpty()) {
                idle.poll().send(due.poll(), now);
            }
            while (!due.isEmpty() && open.size() < options.maxSessions()) {
                int k = due.poll();
                try {
                    open.add(LoadConnection.open(selector, options, message, results, this, k, now));
                    sessionsMax = Math.max(sessionsMax, open.size());
                } catch (IOException e) {
                    results.failed(k, LoadResults.ERROR);
                }
            }
            if (next == total && due.isEmpty() && !quitting && open.size() == idle.size()) {
                quitting = true; // every message is answered or failed: the idle connections say goodbye
                new ArrayList<>(idle).forEach(c -> c.quit(now));
                idle.clear();
            }
            if (quitting && open.isEmpty()) {
                return;
            }
            long wait = next < total ? scheduledNanos(next) - now : TIMEOUT_CHECK_NANOS;
            long waitMillis = Math.min(wait, TIMEOUT_CHECK_NANOS) / 1_000_000;
            if (wait <= 0) {
                selector.selectNow();
            } else {
                selector.select(Math.max(1, waitMillis)); // at least 1: select(0) would wait for ever
            }
            long woke = System.nanoTime();
            for (SelectionKey key : selector.selectedKeys()) {
                ((LoadConnection) key.attachment()).ready(woke);
            }
            selector.selectedKeys().clear();
            if (woke - nextTimeoutCheck >= 0) {
                nextTimeoutCheck = woke + TIMEOUT_CHECK_NANOS;
                new ArrayList<>(open).forEach(c -> c.checkTimeout(woke));
            }
        }
    }

    @Override
    public void idle(LoadConnection connection) {
        idle.add(connection);
    }

    @Override
    public void closed(LoadConnection connection) {
        open.remove(connection);
        idle.remove(connection);
    }

    @Override
    public long scheduledNanos(int k) {
        return start + Math.round(k * 1e9 / options.rate());
    }
}
