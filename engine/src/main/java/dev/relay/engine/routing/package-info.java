/** Routing: static routes, MX lookup with a TTL cache, grouping of MX hosts into sites. */
@NullMarked
package dev.relay.engine.routing;

import org.jspecify.annotations.NullMarked;
