/**
 * Webhooks: the dispatcher that posts the durable outbox (written by storage with the events) to the endpoints
 * senders registered, signed ({@link dev.relay.engine.webhooks.WebhookSignature}), batched, each endpoint with its
 * own bounded concurrency, retried with backoff and dead-lettered after {@code webhooks.max_age}
 * ({@link dev.relay.engine.webhooks.WebhookRetry}).
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.webhooks;
