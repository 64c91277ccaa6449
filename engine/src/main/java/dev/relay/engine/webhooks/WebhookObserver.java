package dev.relay.engine.webhooks;

import dev.relay.storage.PgWebhooks.Counts;
import java.util.List;

/** What the dispatcher reports, per endpoint id (metrics). Called from any thread. */
public interface WebhookObserver {
    void delivered(long endpointId, int events);

    void retried(long endpointId, int events);

    void deadLettered(long endpointId, int events);

    /** The outbox as last counted (every endpoint, pending and dead-lettered). */
    void counted(List<Counts> counts);

    WebhookObserver NONE = new WebhookObserver() {
        @Override
        public void delivered(long endpointId, int events) {}

        @Override
        public void retried(long endpointId, int events) {}

        @Override
        public void deadLettered(long endpointId, int events) {}

        @Override
        public void counted(List<Counts> counts) {}
    };
}
