/** A local SMTP sink for trying the relay out ({@code ./relay sink}). */
@NullMarked
package dev.relay.engine.sink;

import org.jspecify.annotations.NullMarked;
