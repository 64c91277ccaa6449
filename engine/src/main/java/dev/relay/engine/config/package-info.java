/**
 * Configuration: {@code relay.yaml} read into immutable, validated records, with {@code RELAY_*} environment overrides.
 */
@org.jspecify.annotations.NullMarked
package dev.relay.engine.config;
