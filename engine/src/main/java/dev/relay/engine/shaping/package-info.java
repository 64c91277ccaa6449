/**
 * Traffic shaping: what each receiving site (provider) may be sent and how fast, resolved from data
 * ({@code shaping.yaml}), never from code.
 *
 * <p>{@link dev.relay.engine.shaping.ShapingFile} parses the file (through the same YAML reader and error style as
 * {@code relay.yaml}) into entries; {@link dev.relay.engine.shaping.ShapingTable} resolves a site and domain to one
 * {@link dev.relay.engine.shaping.SiteShaping} (the default entry, then every matching entry in file order, field by
 * field);
 * {@link dev.relay.engine.shaping.ReloadingShaping} watches the file and swaps the table atomically, keeping the last
 * good one on an invalid edit. {@link dev.relay.engine.shaping.SiteThrottle} applies the rates, the tarpit's adaptive
 * concurrency and the reply-matching rules that suspend or slow a site for a while, on nanoseconds passed in so
 * tests use fake time. The queue asks; nothing here does I/O except reading the file.
 */
@NullMarked
package dev.relay.engine.shaping;

import org.jspecify.annotations.NullMarked;
