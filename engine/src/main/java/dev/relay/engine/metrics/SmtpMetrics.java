package dev.relay.engine.metrics;

import dev.relay.protocol.Verb;
import io.micrometer.core.instrument.Counter;
import org.jspecify.annotations.Nullable;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/** The front door's meters. Tag values are bounded: verbs, reply classes and a fixed set of reasons. */
public final class SmtpMetrics {
    private final MeterRegistry registry;
    private final Counter connections;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<Verb, Counter> commands = new EnumMap<>(Verb.class);
    private final Counter[] replies = new Counter[6];
    private final Counter accepted;
    private final @Nullable SenderMetrics senders;
    private final Counter acceptedBytes;
    private final Timer acceptLatency;
    private final Map<String, Counter> rejections = new ConcurrentHashMap<>();
    private final Map<String, Counter> connectionRejections = new ConcurrentHashMap<>();
    private final Map<String, Counter> authResults = new ConcurrentHashMap<>();

    public SmtpMetrics(MeterRegistry registry, LongSupplier bytesInFlight) {
        this(registry, bytesInFlight, null);
    }

    /** @param senders null: no per-sender counts */
    public SmtpMetrics(MeterRegistry registry, LongSupplier bytesInFlight, @Nullable SenderMetrics senders) {
        this.registry = registry;
        this.senders = senders;
        this.connections = Counter.builder(MetricNames.SMTP_CONNECTIONS)
                .description("SMTP connections accepted by the listener").register(registry);
        Gauge.builder(MetricNames.SMTP_CONNECTIONS_OPEN, open, AtomicInteger::get)
                .description("SMTP connections open now").register(registry);
        Gauge.builder(MetricNames.BYTES_IN_FLIGHT, bytesInFlight, s -> s.getAsLong())
                .description("message bytes received and not yet committed or discarded").baseUnit("bytes")
                .strongReference(true) // Micrometer holds gauge state weakly; a method reference would be collected
                .register(registry);
        for (Verb verb : Verb.values()) {
            commands.put(verb, Counter.builder(MetricNames.SMTP_COMMANDS).tag(MetricNames.TAG_VERB, verb.name())
                    .description("SMTP commands received").register(registry));
        }
        for (int klass = 2; klass <= 5; klass++) {
            replies[klass] = Counter.builder(MetricNames.SMTP_REPLIES).tag(MetricNames.TAG_CLASS, klass + "xx")
                    .description("SMTP replies sent, by class").register(registry);
        }
        this.accepted = Counter.builder(MetricNames.MESSAGES_ACCEPTED)
                .description("messages committed to the spool and acknowledged with 250").register(registry);
        this.acceptedBytes = Counter.builder(MetricNames.ACCEPTED_BYTES).baseUnit("bytes")
                .description("bytes of accepted messages, as stored").register(registry);
        this.acceptLatency = Timer.builder(MetricNames.ACCEPT_LATENCY)
                .description("from the end of DATA/BDAT to the 250 after COMMIT")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        // Pre-register the common reasons so dashboards see zeros rather than absent series.
        for (String reason : new String[] {"size", "relay_denied", "spool_unavailable", "content", "no_recipients",
                "loop", "suppressed", "suppression_unavailable"}) {
            messageRejected(reason, 0);
        }
        connectionRejected("max_connections", 0);
        connectionRejected("draining", 0);
        connectionRejected("ip_connections", 0);
        connectionRejected("ip_connection_rate", 0);
        authResult("success", 0);
        authResult("failure", 0);
        authResult("limited", 0);
    }

    public void connectionOpened() {
        connections.increment();
        open.incrementAndGet();
    }

    public void connectionClosed() {
        open.decrementAndGet();
    }

    public void connectionRejected(String reason) {
        connectionRejected(reason, 1);
    }

    private void connectionRejected(String reason, int amount) {
        tagged(connectionRejections, MetricNames.SMTP_CONNECTIONS_REJECTED, MetricNames.TAG_REASON, reason,
                "SMTP connections refused at connect").increment(amount);
    }

    public void command(Verb verb) {
        java.util.Objects.requireNonNull(commands.get(verb), "every verb is registered").increment();
    }

    public void reply(int code) {
        int klass = code / 100;
        if (klass >= 2 && klass <= 5) {
            replies[klass].increment();
        }
    }

    /** Also counted for its sender ({@code account}: the AUTH user, null without). */
    public void messageAccepted(long bytes, long latencyNanos, @Nullable String account) {
        messageAccepted(bytes, latencyNanos);
        if (senders != null) {
            senders.received(account);
        }
    }

    public void messageAccepted(long bytes, long latencyNanos) {
        accepted.increment();
        acceptedBytes.increment(bytes);
        acceptLatency.record(Duration.ofNanos(latencyNanos));
    }

    public void messageRejected(String reason) {
        messageRejected(reason, 1);
    }

    private void messageRejected(String reason, int amount) {
        tagged(rejections, MetricNames.MESSAGES_REJECTED, MetricNames.TAG_REASON, reason,
                "messages or recipients refused, by reason").increment(amount);
    }

    public void auth(boolean success) {
        authResult(success ? "success" : "failure", 1);
    }

    /** An AUTH refused without a password check: its client address used up its failures for this minute. */
    public void authLimited() {
        authResult("limited", 1);
    }

    private void authResult(String result, int amount) {
        tagged(authResults, MetricNames.AUTH_ATTEMPTS, MetricNames.TAG_RESULT, result, "AUTH attempts by result")
                .increment(amount);
    }

    /** The counter {@code name{tag=value}}, registered on first use and kept in {@code byValue}. */
    private Counter tagged(Map<String, Counter> byValue, String name, String tag, String value, String description) {
        return byValue.computeIfAbsent(value,
                v -> Counter.builder(name).tag(tag, v).description(description).register(registry));
    }
}
