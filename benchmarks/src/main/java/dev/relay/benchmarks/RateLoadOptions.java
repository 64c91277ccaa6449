package dev.relay.benchmarks;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What {@link RateLoad} is asked to do, parsed from its command line and checked before anything connects.
 *
 * @param host         SMTP server to load
 * @param port         its port
 * @param rate         arrivals per second (open loop: the schedule does not wait for the server)
 * @param duration     measured part of the schedule
 * @param warmup       part of the schedule before it, sent the same way but left out of the figures
 * @param size         message size in bytes, header included
 * @param maxSessions  most SMTP connections open at once; a new one is opened only when an arrival finds none free
 * @param perConn      messages sent on one connection before QUIT (then the next arrival reconnects)
 * @param ioTimeout    limit for connecting and for each reply
 * @param drainTimeout how long after the last arrival the run waits for outstanding messages
 * @param runId        Message-IDs are {@code <K.RUNID@bench.load>}
 * @param label        optional {@code label=} at the start of the result line
 */
record RateLoadOptions(String host, int port, double rate, Duration duration, Duration warmup, int size,
                       int maxSessions, int perConn, Duration ioTimeout, Duration drainTimeout, String runId,
                       String label) {
    /** The sample arrays are indexed by message; this bounds their memory (2 ints and a byte per message). */
    static final long MAX_MESSAGES = 10_000_000L;

    RateLoadOptions {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("--target port must be 1..65535, was " + port);
        }
        if (!(rate > 0) || rate > 1_000_000) {
            throw new IllegalArgumentException("--rate must be > 0 and <= 1000000 msg/s, was " + rate);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be > 0, was " + duration);
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("--warmup must be >= 0, was " + warmup);
        }
        if (size < 512 || size > 64 * 1024 * 1024) {
            throw new IllegalArgumentException("--size must be 512 B .. 64 MiB, was " + size);
        }
        if (maxSessions < 1 || maxSessions > 5000) {
            throw new IllegalArgumentException("--sessions must be 1..5000, was " + maxSessions);
        }
        if (perConn < 1) {
            throw new IllegalArgumentException("--per-conn must be >= 1, was " + perConn);
        }
        if (ioTimeout.toMillis() < 1 || drainTimeout.isNegative()) {
            throw new IllegalArgumentException("--io-timeout must be > 0 and --drain-timeout >= 0");
        }
        if (!runId.matches("[A-Za-z0-9]{1,40}")) {
            throw new IllegalArgumentException("--run-id must be 1..40 letters or digits, was '" + runId + "'");
        }
        if (!label.matches("[A-Za-z0-9_.%-]*")) {
            throw new IllegalArgumentException("--label must be letters, digits or _.%-, was '" + label + "'");
        }
        if (totalMessages(rate, warmup.plus(duration)) > MAX_MESSAGES) {
            throw new IllegalArgumentException("rate x (warmup + duration) must be <= " + MAX_MESSAGES + " messages");
        }
    }

    static final String USAGE = """
            usage: java -cp benchmarks.jar dev.relay.benchmarks.RateLoad --rate R --duration S [options]
              --target HOST:PORT    SMTP server (default 127.0.0.1:2525)
              --rate R              arrivals per second, on a fixed schedule (required)
              --duration S          measured seconds (required)
              --warmup S            seconds of the same load before, not measured (default 0)
              --size BYTES          message size incl. headers (default 2048)
              --sessions N          most concurrent connections (default 200)
              --per-conn M          messages per connection, then QUIT (default 100)
              --io-timeout S        connect and per-reply limit (default 30)
              --drain-timeout S     wait after the last arrival for outstanding replies (default 60)
              --run-id ID           Message-IDs <K.ID@bench.load> (default r<epoch seconds>)
              --label NAME          label=NAME at the start of the result line
            Result: one key=value line on stdout. Latencies in ms: service = final dot written -> 2xx,
            response = scheduled arrival -> 2xx (includes waiting for a free session: no coordinated omission).
            """;

    static RateLoadOptions parse(List<String> args) {
        String host = "127.0.0.1";
        int port = 2525;
        double rate = -1;
        double duration = -1;
        double warmup = 0;
        int size = 2048;
        int sessions = 200;
        int perConn = 100;
        double ioTimeout = 30;
        double drainTimeout = 60;
        String runId = "r" + System.currentTimeMillis() / 1000;
        String label = "";
        for (int i = 0; i < args.size(); i += 2) {
            String key = args.get(i);
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(key + " needs a value");
            }
            String value = args.get(i + 1);
            switch (key) {
                case "--target" -> {
                    int colon = value.lastIndexOf(':');
                    if (colon < 1) {
                        throw new IllegalArgumentException("--target must be HOST:PORT, was '" + value + "'");
                    }
                    host = value.substring(0, colon);
                    port = integer(key, value.substring(colon + 1));
                }
                case "--rate" -> rate = number(key, value);
                case "--duration" -> duration = number(key, value);
                case "--warmup" -> warmup = number(key, value);
                case "--size" -> size = integer(key, value);
                case "--sessions" -> sessions = integer(key, value);
                case "--per-conn" -> perConn = integer(key, value);
                case "--io-timeout" -> ioTimeout = number(key, value);
                case "--drain-timeout" -> drainTimeout = number(key, value);
                case "--run-id" -> runId = value;
                case "--label" -> label = value;
                default -> throw new IllegalArgumentException("unknown option " + key);
            }
        }
        if (rate < 0 || duration < 0) {
            throw new IllegalArgumentException("--rate and --duration are required");
        }
        return new RateLoadOptions(host, port, rate, seconds("--duration", duration), seconds("--warmup", warmup),
                size, sessions, perConn, seconds("--io-timeout", ioTimeout), seconds("--drain-timeout", drainTimeout),
                runId, label);
    }

    /** Messages in the whole schedule: arrival k is due at k / rate, for every k before the schedule's end. */
    static long totalMessages(double rate, Duration span) {
        return (long) Math.ceil(rate * span.toNanos() / 1e9);
    }

    long totalMessages() {
        return totalMessages(rate, warmup.plus(duration));
    }

    /** The first message of the measured part. */
    long firstMeasured() {
        return totalMessages(rate, warmup);
    }

    String describe() {
        return String.format(Locale.ROOT, "target=%s:%d rate=%.1f warmup=%ds duration=%ds size=%d sessions<=%d"
                        + " per_conn=%d run_id=%s", host, port, rate, warmup.toSeconds(), duration.toSeconds(), size,
                maxSessions, perConn, runId);
    }

    private static Duration seconds(String key, double value) {
        if (value < 0 || value > 86_400) {
            throw new IllegalArgumentException(key + " must be 0..86400 seconds, was " + value);
        }
        return Duration.ofNanos(Math.round(value * 1e9));
    }

    private static double number(String key, String value) {
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + value + "'");
        }
    }

    private static int integer(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, was '" + value + "'");
        }
    }
}
