/**
 * SMTP AUTH users: salted PBKDF2 password hashes in a users file, verification off the event loop, and the {@code relay user} command.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.auth;
