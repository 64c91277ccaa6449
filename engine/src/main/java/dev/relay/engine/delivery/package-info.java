/**
 * Delivery: sends one claimed message to one site and says, per recipient, what happened.
 *
 * <p>{@link dev.relay.engine.delivery.PooledDeliveryClient} keeps one {@code SitePool} of SMTP client connections per
 * site (connection limit, waiting callers, reuse without RSET after a completed transaction, idle expiry in
 * {@code IdleConnections}) and tries a route's hops in order. {@code SmtpClientConnection} owns one socket on its Netty event loop (writes commands,
 * QUIT; the content through {@code ContentWriter}, the STARTTLS upgrade through {@code TlsUpgrade});
 * {@code PendingReplies} matches its replies to commands and keeps the timeouts and the transaction deadline;
 * {@code SmtpHandshake} runs greeting, EHLO and STARTTLS, and {@code SmtpTransaction} MAIL, RCPT, DATA and the
 * content, pipelined when offered. Every reply and every failure (the kinds of {@code ConversationException},
 * connect and TLS errors) becomes a sealed {@link dev.relay.engine.delivery.DeliveryOutcome} in one place,
 * {@link dev.relay.engine.delivery.ReplyClassifier}; opening a hop fails only with a {@code HopFailure} carrying one.
 * Nothing here blocks, touches the database or decides when to retry: the queue records the outcomes.
 */
@NullMarked
package dev.relay.engine.delivery;

import org.jspecify.annotations.NullMarked;
