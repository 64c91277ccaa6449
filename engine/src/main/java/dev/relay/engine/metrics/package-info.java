@NullMarked
package dev.relay.engine.metrics;

import org.jspecify.annotations.NullMarked;
