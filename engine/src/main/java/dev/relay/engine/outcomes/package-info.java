/**
 * Outcomes the sender can act on: every non-2xx result (a synchronous reply, an expiry, a routing failure, later an
 * asynchronous bounce) classified once, from data ({@code bounce-rules.yaml} plus the user's file), into a
 * {@link dev.relay.engine.outcomes.Category} and a {@link dev.relay.engine.outcomes.BounceClass}. Suppression,
 * events and statistics build on the {@link dev.relay.engine.outcomes.Classification} made here.
 */
@NullMarked
package dev.relay.engine.outcomes;

import org.jspecify.annotations.NullMarked;
