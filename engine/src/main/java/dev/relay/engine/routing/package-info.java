/**
 * Routing: where a recipient domain's mail goes.
 *
 * <p>{@link dev.relay.engine.routing.RelayRouter} answers a domain with a
 * {@link dev.relay.engine.routing.Resolution}: static routes first ({@code delivery.routes}), then address literals,
 * then DNS through {@link dev.relay.engine.routing.DnsRouter} (MX in preference order, implicit MX, null MX per
 * RFC 7505, A/AAAA of each host) over Netty's asynchronous {@link dev.relay.engine.routing.DnsClient}, cached by
 * TTL in {@link dev.relay.engine.routing.CachingResolver}. {@link dev.relay.engine.routing.Sites} names the site
 * (provider) of the most preferred MX, so that limits, pools and metric tags apply per provider;
 * {@link dev.relay.engine.routing.SelfAddresses} stops mail that would loop back to this relay. Resolutions complete
 * on the DNS event loop and never error: failures are values.
 */
@NullMarked
package dev.relay.engine.routing;

import org.jspecify.annotations.NullMarked;
