/**
 * SMTP as bytes and values: the server-side decoder (command lines, DATA framing, BDAT chunks,
 * AUTH continuations), replies, and envelope address parsing. No I/O policy lives here: the
 * session handler decides what to do with each decoded value and switches the decoder's mode.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.protocol;
