/** Delivery: pooled SMTP client connections per site and the one place where replies become outcomes. */
@NullMarked
package dev.relay.engine.delivery;

import org.jspecify.annotations.NullMarked;
