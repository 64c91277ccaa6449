package dev.relay.engine.metrics;

/**
 * Every metric name and tag key in one place (as Micrometer names; the Prometheus registry renders
 * {@code relay.smtp.connections} as {@code relay_smtp_connections_total}). The README lists them as scraped.
 */
public final class MetricNames {
    public static final String SMTP_CONNECTIONS = "relay.smtp.connections";
    public static final String SMTP_CONNECTIONS_OPEN = "relay.smtp.connections.open";
    public static final String SMTP_CONNECTIONS_REJECTED = "relay.smtp.connections.rejected";
    public static final String SMTP_COMMANDS = "relay.smtp.commands";
    public static final String SMTP_REPLIES = "relay.smtp.replies";
    public static final String MESSAGES_ACCEPTED = "relay.messages.accepted";
    public static final String MESSAGES_REJECTED = "relay.messages.rejected";
    public static final String ACCEPTED_BYTES = "relay.messages.accepted.bytes";
    public static final String BYTES_IN_FLIGHT = "relay.smtp.bytes.in.flight";
    public static final String AUTH_ATTEMPTS = "relay.smtp.auth";
    public static final String SPOOL_COMMIT = "relay.spool.commit";
    public static final String SPOOL_BATCH_SIZE = "relay.spool.batch.size";
    public static final String SPOOL_BATCH_FAILURES = "relay.spool.batch.failures";
    public static final String ACCEPT_LATENCY = "relay.smtp.accept.latency";
    public static final String DELIVERY_OUTCOMES = "relay.delivery.outcomes";
    public static final String DELIVERY_DURATION = "relay.delivery.duration";
    public static final String DELIVERY_REPLIES = "relay.delivery.replies";
    public static final String DELIVERY_RUNNING = "relay.delivery.running";
    public static final String DELIVERY_UNWRITTEN = "relay.delivery.unwritten";
    public static final String DELIVERY_EXPIRED = "relay.delivery.expired";
    public static final String WRITEBACK_FAILURES = "relay.writeback.failures";
    public static final String WRITEBACK_FENCED = "relay.writeback.fenced";
    public static final String CLAIMS_TAKEN_OVER = "relay.claims.taken.over";
    public static final String QUEUE_IN_MEMORY = "relay.queue.in.memory";
    public static final String QUEUE_WINDOW = "relay.queue.window";
    public static final String QUEUE_READY = "relay.queue.ready";
    public static final String QUEUE_SHARE_RETURNS = "relay.queue.site.share.returns";
    public static final String QUEUE_DEPTH = "relay.queue.depth";
    public static final String QUEUE_OLDEST_AGE = "relay.queue.oldest.age";
    public static final String POOL_IN_USE = "relay.delivery.pool.in.use";
    public static final String POOL_IDLE = "relay.delivery.pool.idle";
    public static final String POOL_WAITING = "relay.delivery.pool.waiting";
    public static final String NETTY_ALLOCATOR_USED = "relay.netty.allocator.used";
    public static final String NETTY_ALLOCATOR_PINNED = "relay.netty.allocator.pinned";
    public static final String NETTY_EVENTLOOP_PENDING = "relay.netty.eventloop.pending.tasks";
    public static final String NETTY_EVENTLOOPS = "relay.netty.eventloops";
    public static final String SHAPING_RULE_HITS = "relay.shaping.rule.hits";
    public static final String SHAPING_RATE_WAITS = "relay.shaping.rate.waits";
    public static final String SHAPING_SUSPENDED = "relay.shaping.suspended";
    public static final String SHAPING_CONNECTION_LIMIT = "relay.shaping.connection.limit";
    public static final String SHAPING_RELOADS = "relay.shaping.reloads";
    public static final String SHAPING_RELOAD_FAILURES = "relay.shaping.reload.failures";
    public static final String BOUNCE_RULES_RELOADS = "relay.bounce.rules.reloads";
    public static final String BOUNCE_RULES_RELOAD_FAILURES = "relay.bounce.rules.reload.failures";
    public static final String BOUNCE_RULES_ABANDONED = "relay.bounce.rules.abandoned.matches";
    public static final String SENDER_EVENTS = "relay.sender.events";
    public static final String WEBHOOK_DELIVERED = "relay.webhook.events.delivered";
    public static final String WEBHOOK_RETRIED = "relay.webhook.events.retried";
    public static final String WEBHOOK_DEAD_LETTERED = "relay.webhook.events.dead.lettered";
    public static final String WEBHOOK_PENDING = "relay.webhook.events.pending";
    public static final String WEBHOOK_DEAD_LETTERS = "relay.webhook.dead.letters";

    public static final String SYSTEMS_REFRESHES = "relay.systems.refreshes";
    public static final String SYSTEMS_SNAPSHOT_AGE = "relay.systems.snapshot.age";

    public static final String BOUNCE_INTAKE = "relay.bounce.intake";

    public static final String TAG_REASON = "reason";
    public static final String TAG_SITE = "site";
    public static final String TAG_OUTCOME = "outcome";
    public static final String TAG_PRIORITY = "priority";
    public static final String TAG_VERB = "verb";
    public static final String TAG_CLASS = "class";
    public static final String TAG_RESULT = "result";
    public static final String TAG_MEMORY = "memory";
    public static final String TAG_GROUP = "group";
    public static final String TAG_RULE = "rule";
    public static final String TAG_ACTION = "action";
    public static final String TAG_KIND = "kind";
    public static final String TAG_ENDPOINT = "endpoint";
    public static final String TAG_SYSTEM = "system";
    public static final String SUPPRESSION_LOOKUPS = "relay.suppression.lookups";
    public static final String SUPPRESSION_FILTER_ENTRIES = "relay.suppression.filter.entries";
    public static final String SUPPRESSION_FILTER_BYTES = "relay.suppression.filter.bytes";
    public static final String SUPPRESSION_FILTER_FRESH = "relay.suppression.filter.fresh";
    public static final String SUPPRESSION_FILTER_FAILURES = "relay.suppression.filter.refresh.failures";

    private MetricNames() {
    }
}
