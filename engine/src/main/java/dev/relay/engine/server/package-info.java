/**
 * The SMTP front door: the listener ({@link dev.relay.engine.server.SmtpServer}) and one Netty pipeline per
 * connection, in this order (names in {@link dev.relay.engine.server.PipelineNames}): a read gate, for load
 * balancers the PROXY header, TLS once STARTTLS is accepted, the command decoder and reply encoder of
 * {@code protocol}, connection admission (max connections, per-IP limits, drain), then the session.
 *
 * <p>The session carries out decisions made elsewhere as values: the verbs ({@code SessionCommands},
 * {@code AuthExchange}) return {@code Step}s, acceptance of a complete message ({@code MessageAcceptance}) is a pure
 * function, timeouts are decided on given nanosecond readings ({@code SessionDeadlines}). Content is collected as
 * reference-counted buffers under the global {@code ByteBudget}, and a message is acknowledged only after the
 * spool's COMMIT. Everything a session holds is confined to its connection's event loop.
 */
@NullMarked
package dev.relay.engine.server;

import org.jspecify.annotations.NullMarked;
