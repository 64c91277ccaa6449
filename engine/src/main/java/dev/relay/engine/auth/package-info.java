/**
 * SMTP AUTH: salted PBKDF2 password hashes, verification off the event loop against the connected systems in force,
 * and the users file ({@code relay user}) that {@code relay system import} turns into connected systems.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.auth;
