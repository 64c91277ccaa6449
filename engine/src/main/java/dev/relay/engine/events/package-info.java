/** Upkeep of the event history: day partitions and retention. */
@NullMarked
package dev.relay.engine.events;

import org.jspecify.annotations.NullMarked;
