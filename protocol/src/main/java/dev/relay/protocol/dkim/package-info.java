/**
 * DKIM signing (RFC 6376 with the RFC 8463 Ed25519 algorithm) over a message's bytes: relaxed/relaxed
 * canonicalisation, a streaming body hash, and the folded {@code DKIM-Signature} field. Pure: no I/O, no clock (the
 * caller passes the time), no key storage; the keys and the JCA provider that signs come from the caller. Every
 * class here is either immutable or confined to the one call that created it.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.protocol.dkim;
