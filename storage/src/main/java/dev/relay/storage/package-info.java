/**
 * PostgreSQL through R2DBC: the embedded server, connection pools, migrations and the durable spool
 * with natural group commit.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.storage;
