package dev.relay.benchmarks;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What happened to each message of a {@link RateLoad} run, indexed by message. Every message is recorded at most
 * once (the first outcome wins), by the connection that sent it; the latencies are written before the outcome is
 * published, so a reader on another thread that sees the outcome sees them too.
 *
 * <p>All samples are kept (two ints per message, microseconds) and sorted at the end: the counts are bounded by
 * {@link RateLoadOptions#MAX_MESSAGES}, so the percentiles are exact and no histogram library is needed.
 */
final class LoadResults {
    static final int NONE = 0;
    static final int ACCEPTED = 1;
    static final int TEMPFAIL = 2;
    static final int PERMFAIL = 3;
    static final int ERROR = 4;

    private final AtomicIntegerArray outcome;
    private final int[] serviceMicros;
    private final int[] responseMicros;
    private final boolean[] sent;
    /** Position of the message on its connection (1 = first after connect), for the trace. */
    private final int[] onConnection;
    /** When the final dot was written, relative to the run's start, for the trace. */
    private final int[] dotMicros;
    /** Latest completion (System.nanoTime) of an accepted message, for the achieved rate. */
    private final AtomicLong lastAcceptedNanos = new AtomicLong(Long.MIN_VALUE);

    LoadResults(int messages) {
        outcome = new AtomicIntegerArray(messages);
        serviceMicros = new int[messages];
        responseMicros = new int[messages];
        sent = new boolean[messages];
        onConnection = new int[messages];
        dotMicros = new int[messages];
    }

    /** The final dot of message k has been written; it counts as sent whatever follows. */
    void sent(int k) {
        sent[k] = true;
    }

    void accepted(int k, long dotNanos, long scheduledNanos, long replyNanos, int position, long runStartNanos) {
        onConnection[k] = position;
        dotMicros[k] = micros(dotNanos - runStartNanos);
        serviceMicros[k] = micros(replyNanos - dotNanos);
        responseMicros[k] = micros(replyNanos - scheduledNanos);
        if (outcome.compareAndSet(k, NONE, ACCEPTED)) {
            lastAcceptedNanos.accumulateAndGet(replyNanos, Math::max);
        }
    }

    void failed(int k, int kind) {
        if (kind < TEMPFAIL || kind > ERROR) {
            throw new IllegalArgumentException("not a failure: " + kind);
        }
        outcome.compareAndSet(k, NONE, kind);
    }

    /**
     * The result line's figures for messages {@code from} (inclusive) to {@code to} (exclusive): the measured part of
     * the schedule, which started at {@code windowStartNanos} and was meant to last {@code windowSeconds}.
     */
    String summary(int from, int to, long windowStartNanos, double rateTarget) {
        int[] service = new int[to - from];
        int[] response = new int[to - from];
        int accepted = 0;
        int tempfail = 0;
        int permfail = 0;
        int errors = 0;
        int sentCount = 0;
        for (int k = from; k < to; k++) {
            int o = outcome.get(k);
            if (o == ACCEPTED) {
                service[accepted] = serviceMicros[k];
                response[accepted] = responseMicros[k];
                accepted++;
            } else if (o == TEMPFAIL) {
                tempfail++;
            } else if (o == PERMFAIL) {
                permfail++;
            } else if (o == ERROR) {
                errors++;
            }
            if (sent[k]) {
                sentCount++;
            }
        }
        service = Arrays.copyOf(service, accepted);
        response = Arrays.copyOf(response, accepted);
        Arrays.sort(service);
        Arrays.sort(response);
        // achieved: accepted messages over the time from the window's first arrival to the last 250; a server
        // that keeps up gives about the target, one that falls behind stretches the denominator
        long last = lastAcceptedNanos.get();
        double span = (last - windowStartNanos) / 1e9;
        double achieved = accepted > 0 && span > 0 ? accepted / span : 0;
        int scheduled = to - from;
        return String.format(Locale.ROOT,
                "rate_target=%.1f rate_achieved=%.1f scheduled=%d sent=%d accepted=%d tempfail=%d permfail=%d"
                        + " errors=%d unfinished=%d"
                        + " service_p50_ms=%s service_p99_ms=%s service_p999_ms=%s service_max_ms=%s"
                        + " response_p50_ms=%s response_p99_ms=%s response_p999_ms=%s response_max_ms=%s",
                rateTarget, achieved, scheduled, sentCount, accepted, tempfail, permfail, errors,
                scheduled - accepted - tempfail - permfail - errors,
                pct(service, 0.50), pct(service, 0.99), pct(service, 0.999), pct(service, 1.0),
                pct(response, 0.50), pct(response, 0.99), pct(response, 0.999), pct(response, 1.0));
    }

    /**
     * A first line {@code # header} (none if empty: e.g. the wall-clock time of the run's start), then one line per
     * accepted message of the window: index, final dot written (ms since the run's start), service and response
     * latency (ms), position on its connection. To see when stalls happen, not only how long they are.
     */
    void writeTrace(java.nio.file.Path file, int from, int to, String header) throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        if (!header.isEmpty()) {
            out.append("# ").append(header).append('\n');
        }
        for (int k = from; k < to; k++) {
            if (outcome.get(k) == ACCEPTED) {
                out.append(k).append(' ').append(String.format(Locale.ROOT, "%.3f %.3f %.3f",
                        dotMicros[k] / 1000.0, serviceMicros[k] / 1000.0, responseMicros[k] / 1000.0))
                        .append(' ').append(onConnection[k]).append('\n');
            }
        }
        java.nio.file.Files.writeString(file, out);
    }

    /** Nearest rank: the smallest sample with at least q of all samples at or below it; "-" without samples. */
    static String pct(int[] sortedMicros, double q) {
        if (sortedMicros.length == 0) {
            return "-";
        }
        int rank = (int) Math.ceil(q * sortedMicros.length);
        int index = Math.min(sortedMicros.length - 1, Math.max(0, rank - 1));
        return String.format(Locale.ROOT, "%.3f", sortedMicros[index] / 1000.0);
    }

    private static int micros(long nanos) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, nanos / 1000));
    }
}
