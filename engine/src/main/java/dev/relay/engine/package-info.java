@NullMarked
package dev.relay.engine;

import org.jspecify.annotations.NullMarked;
