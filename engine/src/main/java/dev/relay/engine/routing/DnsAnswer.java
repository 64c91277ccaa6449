package dev.relay.engine.routing;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of one DNS lookup as a value, so the cache can store negative and failed answers alongside positive
 * ones and the router can switch on them exhaustively.
 */
public sealed interface DnsAnswer<T> {
    /** At least one record; {@code ttl} is the smallest TTL among them, before clamping. */
    record Found<T>(List<T> values, Duration ttl) implements DnsAnswer<T> {
        public Found {
            values = List.copyOf(values);
            if (values.isEmpty()) {
                throw new IllegalArgumentException("a found answer needs at least one value");
            }
            Objects.requireNonNull(ttl, "ttl");
            if (ttl.isNegative()) {
                throw new IllegalArgumentException("ttl must not be negative, was " + ttl);
            }
        }
    }

    /** NOERROR with no record of the asked type (NODATA): the name exists. */
    record NoData<T>() implements DnsAnswer<T> {
    }

    /** NXDOMAIN: the name does not exist. */
    record NxDomain<T>() implements DnsAnswer<T> {
    }

    /** Transient: SERVFAIL, REFUSED, timeout, unreadable response; {@code reason} is for logs and deferral text. */
    record Failed<T>(String reason) implements DnsAnswer<T> {
        public Failed {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
