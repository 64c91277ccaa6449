/**
 * Delivery: sends one claimed message to one site and says, per recipient, what happened.
 *
 * <p>{@link dev.relay.engine.delivery.PooledDeliveryClient} keeps one {@code SitePool} of SMTP client connections per
 * site (connection limit, waiting callers, reuse with RSET, idle expiry) and tries a route's hops in order;
 * {@code SmtpClientConnection} holds one conversation (greeting, EHLO, STARTTLS, QUIT) on its Netty event loop,
 * {@code PendingReplies} matches replies to commands and keeps the timeouts and the transaction deadline, and
 * {@code SmtpTransaction} runs MAIL, RCPT, DATA and the content, pipelined when offered. Every reply and every
 * failure ({@link dev.relay.engine.delivery.ConversationException}'s kinds, connect and TLS errors) becomes a sealed
 * {@link dev.relay.engine.delivery.DeliveryOutcome} in one place, {@link dev.relay.engine.delivery.ReplyClassifier}.
 * Nothing here blocks, touches the database or decides when to retry: the queue records the outcomes.
 */
@NullMarked
package dev.relay.engine.delivery;

import org.jspecify.annotations.NullMarked;
