package dev.relay.engine.routing;

import reactor.core.publisher.Mono;

/** Finds the next hops for a recipient domain (lower case); never errors, failures are {@link Resolution} values. */
public interface Router {
    Mono<Resolution> resolve(String domain);
}
