package dev.relay.engine.delivery;

/**
 * What the delivery client asks of, and tells, the shaping of one site: whether a new connection may open now (the
 * site's connection rate), and how long each reply took (tarpit detection). Implementations are quick and
 * non-blocking: they are called on event loops.
 */
public interface SitePacing {
    /** No connection rate, latencies ignored. */
    SitePacing NONE = new SitePacing() {
        @Override
        public long tryOpen() {
            return 0;
        }

        @Override
        public void replied(long nanos) {
        }
    };

    /** 0 when a new connection may open now (the permit is then taken), else the nanoseconds until one may. */
    long tryOpen();

    /** A greeting or command reply took {@code nanos} (a reply that never came: the whole wait). */
    void replied(long nanos);
}
