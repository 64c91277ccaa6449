@NullMarked
package dev.relay.engine.http;

import org.jspecify.annotations.NullMarked;
