/**
 * Connected systems as the front door sees them: one immutable snapshot of systems, credentials and sending domains
 * ({@link dev.relay.engine.identity.Identities}), refreshed from PostgreSQL by
 * {@link dev.relay.engine.identity.SystemDirectory}, and the sender-domain decisions made from it.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.identity;
