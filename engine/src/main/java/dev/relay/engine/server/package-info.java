@NullMarked
package dev.relay.engine.server;

import org.jspecify.annotations.NullMarked;
