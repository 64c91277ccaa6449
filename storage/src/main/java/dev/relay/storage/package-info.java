/**
 * The relay's durable state in PostgreSQL, through R2DBC; the spool is the truth, the engine's queues hold a window
 * of it. What lives here:
 * <ul>
 *   <li>the server and connections: {@link dev.relay.storage.EmbeddedPostgres} (the zero-config server),
 *       {@link dev.relay.storage.Database} (pools, schemas), {@link dev.relay.storage.Migrations} (versioned SQL
 *       applied at start), {@link dev.relay.storage.DatabaseProbe} (readiness);</li>
 *   <li>acceptance: {@link dev.relay.storage.GroupCommitSpool} writes accepted messages, their recipients and
 *       {@code accepted} events with natural group commit ({@link dev.relay.storage.NaturalBatcher}, no timer);</li>
 *   <li>delivery: {@link dev.relay.storage.PgDeliveryStore} claims due recipients for a node, writes outcomes back
 *       in batches with their events ({@link dev.relay.storage.RecipientUpdate}, fenced by the claim), and through
 *       {@code PgNodes} keeps the node heartbeat and takes over the claims of silent nodes;</li>
 *   <li>the operator's view and actions: {@link dev.relay.storage.PgQueueAdmin} (list, show, flush, suspend,
 *       resume, bounce, delete, each change written with its event);</li>
 *   <li>one classification of storage failures into transient and permanent
 *       ({@link dev.relay.storage.StorageErrors}); every store reports failures as
 *       {@link dev.relay.storage.SpoolUnavailableException}.</li>
 * </ul>
 * Nothing here blocks: results arrive on the driver's I/O threads. Stored codes ({@link dev.relay.storage.EventKind},
 * {@link dev.relay.storage.Priority}) never change meaning.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.storage;
