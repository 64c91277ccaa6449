/**
 * Queue administration: the admin HTTP API under {@code /admin/} (bearer token from {@code http.admin_token_file}),
 * operator suspensions shared through PostgreSQL, and the {@code relay queue} command that talks to the API.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.admin;
