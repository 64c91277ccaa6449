/**
 * Scheduling of deliveries on this node. The spool in PostgreSQL is the scheduled queue; memory holds a bounded
 * window of claimed recipients. {@link dev.relay.engine.queue.DeliveryScheduler} wires the pieces: the claimer fills
 * the window from the spool (and the front door hands fresh messages over through
 * {@link dev.relay.engine.queue.HandOffSpool}), routing resolves each message's domains to sites, the site dispatcher
 * keeps per-site ready queues (two priority lanes, shaped by {@code shaping.yaml}, each site within its share of the
 * window) and starts deliveries, the attempt runner delivers, the outcome recorder writes outcomes back (retry
 * schedule, expiry, bounce notices, parking), and the node heartbeat keeps this node's lease on its claims when
 * several nodes share the database.
 */
@NullMarked
package dev.relay.engine.queue;

import org.jspecify.annotations.NullMarked;
