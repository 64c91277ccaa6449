/** Bounces: delivery status notifications (RFC 3464) to the envelope sender. */
@NullMarked
package dev.relay.engine.bounce;

import org.jspecify.annotations.NullMarked;
