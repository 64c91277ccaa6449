/**
 * Traffic shaping: what each receiving site (provider) may be sent and how fast, resolved from data
 * ({@code shaping.yaml}), never from code; reply-matching rules that suspend or slow a site for a while.
 */
@NullMarked
package dev.relay.engine.shaping;

import org.jspecify.annotations.NullMarked;
