/**
 * The bounce domain: VERP return paths at delivery, and the bounces, complaints and auto-replies that come back to
 * them on the SMTP listener, linked to their message and recipient, recorded and fed to the suppression list.
 */
@NullMarked
package dev.relay.engine.intake;

import org.jspecify.annotations.NullMarked;
