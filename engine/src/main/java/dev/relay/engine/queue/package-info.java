/**
 * Scheduling of deliveries on this node. The spool in PostgreSQL is the scheduled queue; memory holds a bounded
 * {@link dev.relay.engine.queue.Window} of claimed recipients. {@link dev.relay.engine.queue.DeliveryScheduler} wires
 * the pieces: the claimer fills the window from the spool (and the front door hands fresh messages over through
 * {@link dev.relay.engine.queue.HandOffSpool}), the site dispatcher routes each message's domains to per-site ready
 * queues (two priority lanes, shaped by {@code shaping.yaml}, each site within its share of the window), the attempt
 * runner delivers, the outcome recorder writes outcomes back (retry schedule, expiry, bounce notices, parking), and
 * the node heartbeat keeps this node's lease on its claims when several nodes share the database.
 */
@NullMarked
package dev.relay.engine.queue;

import org.jspecify.annotations.NullMarked;
