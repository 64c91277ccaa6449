/**
 * TLS material for STARTTLS: PEM files from the configuration, or a self-signed certificate generated once into the data directory.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.tls;
