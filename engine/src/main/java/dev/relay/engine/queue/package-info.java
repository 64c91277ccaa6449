/** Queues: the bounded in-memory window of claimed recipients, per-domain and per-site queues, write-back. */
@NullMarked
package dev.relay.engine.queue;

import org.jspecify.annotations.NullMarked;
