@NullMarked
package dev.relay.engine.policy;

import org.jspecify.annotations.NullMarked;
