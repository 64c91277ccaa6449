/**
 * DKIM at acceptance: the keys by domain (sealed at rest with {@link dev.relay.engine.dkim.KeySealer}), a snapshot
 * of them that each node refreshes on a timer ({@link dev.relay.engine.dkim.DkimKeyring}) so signing never waits on
 * the database, the per-message decision and signature ({@link dev.relay.engine.dkim.MessageSigning}), and the
 * {@code relay system dkim} command with its admin API. The signing itself is {@link dev.relay.protocol.dkim}.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.dkim;
