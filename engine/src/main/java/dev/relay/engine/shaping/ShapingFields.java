package dev.relay.engine.shaping;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The fields one shaping entry sets; null means "not set here", so entries layer field by field ({@link #over}).
 * A rate is wrapped in {@link RateSetting} so that an entry can set it to {@code unlimited} (lifting a rate an
 * earlier entry set), which plain null could not say.
 */
public record ShapingFields(@Nullable Integer connectionLimit, @Nullable Integer maxDeliveriesPerConnection,
                            @Nullable Integer maxRecipientsPerMessage, @Nullable RateSetting maxMessageRate,
                            @Nullable RateSetting maxConnectionRate, @Nullable Duration idleTimeout,
                            @Nullable Duration connectTimeout, @Nullable Duration greetingTimeout,
                            @Nullable Duration commandTimeout, @Nullable Duration dataTimeout,
                            @Nullable Duration dataEndTimeout, @Nullable TlsMode tls, @Nullable List<Duration> retry,
                            @Nullable Duration tarpitThreshold, @Nullable Duration tarpitRecovery) {
    /** A rate or, with {@code rate} null, explicitly unlimited. */
    public record RateSetting(@Nullable Rate rate) {
    }

    public static final ShapingFields NONE = new ShapingFields(null, null, null, null, null, null, null, null, null,
            null, null, null, null, null, null);

    public ShapingFields {
        retry = retry == null ? null : List.copyOf(retry);
    }

    /** These fields where set, else {@code base}'s. */
    public ShapingFields over(ShapingFields base) {
        return new ShapingFields(pick(connectionLimit, base.connectionLimit),
                pick(maxDeliveriesPerConnection, base.maxDeliveriesPerConnection),
                pick(maxRecipientsPerMessage, base.maxRecipientsPerMessage), pick(maxMessageRate, base.maxMessageRate),
                pick(maxConnectionRate, base.maxConnectionRate), pick(idleTimeout, base.idleTimeout),
                pick(connectTimeout, base.connectTimeout), pick(greetingTimeout, base.greetingTimeout),
                pick(commandTimeout, base.commandTimeout), pick(dataTimeout, base.dataTimeout),
                pick(dataEndTimeout, base.dataEndTimeout), pick(tls, base.tls), pick(retry, base.retry),
                pick(tarpitThreshold, base.tarpitThreshold), pick(tarpitRecovery, base.tarpitRecovery));
    }

    /**
     * The resolved settings; every field must be set by now except the rates (unset: unlimited) and the retry
     * schedule ({@code globalRetry} when unset).
     */
    SiteShaping resolve(List<Duration> globalRetry, List<ShapingRule> rules) {
        SiteLimits limits = new SiteLimits(need(connectionLimit, "connection_limit"),
                need(maxDeliveriesPerConnection, "max_deliveries_per_connection"),
                need(maxRecipientsPerMessage, "max_recipients_per_message"), need(idleTimeout, "idle_timeout"),
                need(connectTimeout, "connect_timeout"), need(greetingTimeout, "greeting_timeout"),
                need(commandTimeout, "command_timeout"), need(dataTimeout, "data_timeout"),
                need(dataEndTimeout, "data_end_timeout"), need(tls, "tls"));
        return new SiteShaping(limits, maxMessageRate == null ? null : maxMessageRate.rate(),
                maxConnectionRate == null ? null : maxConnectionRate.rate(), retry == null ? globalRetry : retry, rules,
                new SiteShaping.Tarpit(need(tarpitThreshold, "tarpit_threshold"),
                        need(tarpitRecovery, "tarpit_recovery")));
    }

    private static <T> @Nullable T pick(@Nullable T mine, @Nullable T base) {
        return mine != null ? mine : base;
    }

    private static <T> T need(@Nullable T value, String key) {
        if (value == null) {
            // the shipped default sets every field; only a broken build gets here
            throw new IllegalStateException("shaping field " + key + " has no value, not even in the shipped default");
        }
        return value;
    }
}
