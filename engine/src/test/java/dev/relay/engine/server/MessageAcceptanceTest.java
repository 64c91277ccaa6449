package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.auth.AuthResult;
import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.ClientLimitsConfig;
import dev.relay.engine.config.PriorityHeaderConfig;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.PathParser;
import dev.relay.protocol.PathResult;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Acceptance of a complete message as a pure function: what is stored, what is refused, and that no buffer leaks. */
class MessageAcceptanceTest {
    private static final Instant NOW = Instant.parse("2026-12-04T21:30:05Z");
    private static final ContentStats PLAIN = new ContentStats(10, false, false, false, false, 0);

    private final MessageAcceptance acceptance = new MessageAcceptance(config(2));
    private final MessageId id = MessageId.newId();
    private final SessionState state = session();
    private IncomingMessage stored;

    private static SmtpConfig config(int maxReceived) {
        return new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "mx.relay.test", 1 << 20, 10, 10, Duration.ofMinutes(5),
                Duration.ofMinutes(10), 3, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT, Duration.ofSeconds(30),
                List.of(), List.of(), null, new AuthConfig(null, true), PriorityHeaderConfig.defaults(), maxReceived,
                ClientLimitsConfig.defaults());
    }

    private static SessionState session() {
        try {
            SessionState state = new SessionState("t", InetAddress.getByName("192.0.2.9"));
            state.helo = "client.example";
            state.esmtp = true;
            return state;
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static Transaction transaction(String... recipients) {
        PathResult.Ok from = (PathResult.Ok) PathParser.mailFrom("FROM:<shop@sender.test> BODY=8BITMIME", true);
        Transaction transaction = new Transaction(from.mailbox(), from.parameters());
        for (String recipient : recipients) {
            PathResult.Ok to = (PathResult.Ok) PathParser.rcptTo("TO:<" + recipient + ">", false);
            transaction.addRecipient(java.util.Objects.requireNonNull(to.mailbox()));
        }
        return transaction;
    }

    private static CompositeByteBuf content(String text) {
        CompositeByteBuf content = Unpooled.compositeBuffer();
        content.addComponent(true, Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        return content;
    }

    private IncomingMessage accepted(MessageAcceptance.Result result) {
        assertThat(result).isInstanceOf(MessageAcceptance.Accepted.class);
        stored = ((MessageAcceptance.Accepted) result).message();
        return stored;
    }

    @AfterEach
    void release() {
        if (stored != null) {
            stored.content().release();
        }
    }

    @Test
    void theStoredMessageHasOurReceivedHeaderOnTopAndTheEnvelope() {
        String header = "Subject: hi\r\nDate: Fri, 04 Dec 2026 21:30:00 +0000\r\nMessage-ID: <1@sender.test>\r\n";
        CompositeByteBuf content = content(header + "\r\nbody\r\n");
        IncomingMessage message = accepted(
                acceptance.accept(state, transaction("a@dest.test"), content, PLAIN, id, NOW));

        assertThat(message.content().toString(StandardCharsets.UTF_8)).isEqualTo(
                "Received: from client.example ([192.0.2.9])\r\n"
                        + "\tby mx.relay.test with ESMTP id " + id + "\r\n"
                        + "\tfor <a@dest.test>;\r\n"
                        + "\tFri, 4 Dec 2026 21:30:05 +0000\r\n"
                        + header + "\r\nbody\r\n");
        assertThat(message.id()).isEqualTo(id);
        assertThat(message.reversePath()).isEqualTo("shop@sender.test");
        assertThat(message.recipients()).containsExactly("a@dest.test");
        assertThat(message.account()).isNull();
        assertThat(message.priority()).isEqualTo(Priority.TRANSACTIONAL);
        assertThat(message.receivedAt()).isEqualTo(NOW);
        assertThat(message.body8bit()).as("BODY=8BITMIME").isTrue();
        assertThat(message.clientAddress()).isEqualTo("192.0.2.9");
        assertThat(message.helo()).isEqualTo("client.example");
    }

    @Test
    void suppressedRecipientsAreCarriedApartAndOnlySuppressedOnesStoreNoContent() {
        Transaction mixed = transaction("a@dest.test");
        mixed.addSuppressedRecipient(java.util.Objects.requireNonNull(
                ((PathResult.Ok) PathParser.rcptTo("TO:<dead@dest.test>", false)).mailbox()), "why");
        MessageAcceptance.Accepted both = (MessageAcceptance.Accepted) acceptance.accept(state, mixed,
                content("Subject: x\r\n\r\nbody\r\n"), PLAIN, id, NOW);
        stored = both.message();
        assertThat(both.message().recipients()).containsExactly("a@dest.test");
        assertThat(both.suppressed()).containsExactly("dead@dest.test");
        assertThat(both.suppressedReplies()).containsExactly("why");
        assertThat(both.storesContent()).isTrue();
        stored.content().release();

        Transaction only = transaction();
        only.addSuppressedRecipient(java.util.Objects.requireNonNull(
                ((PathResult.Ok) PathParser.rcptTo("TO:<dead@dest.test>", false)).mailbox()), "why");
        MessageAcceptance.Accepted none = (MessageAcceptance.Accepted) acceptance.accept(state, only,
                content("Subject: x\r\n\r\nbody\r\n"), PLAIN, id, NOW);
        stored = none.message();
        assertThat(none.storesContent()).isFalse();
        assertThat(none.suppressed()).containsExactly("dead@dest.test");
    }

    @Test
    void messageIdAndDateAreAddedWhenMissingAndOnlyThen() {
        IncomingMessage message = accepted(acceptance.accept(state, transaction("a@dest.test"),
                content("subject: hi\r\n\r\nbody\r\n"), PLAIN, id, NOW));
        String text = message.content().toString(StandardCharsets.UTF_8);
        assertThat(text).contains("\r\nMessage-ID: <" + id + "@mx.relay.test>\r\n"
                + "Date: Fri, 04 Dec 2026 21:30:05 +0000\r\nsubject: hi\r\n\r\nbody\r\n");
        message.content().release();
        stored = null;

        IncomingMessage kept = accepted(acceptance.accept(state, transaction("a@dest.test"),
                content("MESSAGE-ID: <x@app.test>\r\ndate: Thu, 03 Dec 2026 10:00:00 +0100\r\n\r\nbody\r\n"),
                PLAIN, MessageId.newId(), NOW));
        String keptText = kept.content().toString(StandardCharsets.UTF_8);
        assertThat(keptText).doesNotContain("Message-ID:").doesNotContain("Date:")
                .endsWith("MESSAGE-ID: <x@app.test>\r\ndate: Thu, 03 Dec 2026 10:00:00 +0100\r\n\r\nbody\r\n");
    }

    @Test
    void thePriorityHeaderIsCutOutAndLowersThePriority() {
        new AuthExchange(config(2), true).result(state, new AuthResult.Success("shop", "transactional"));
        state.tls = true;
        CompositeByteBuf content = content("X-Relay-Priority: bulk\r\nSubject: hi\r\n\r\nbody\r\n");
        MessageAcceptance.Result result =
                acceptance.accept(state, transaction("a@dest.test", "b@dest.test"), content, PLAIN, id, NOW);
        IncomingMessage message = accepted(result);

        assertThat(((MessageAcceptance.Accepted) result).priorityFromHeader()).isTrue();
        assertThat(message.priority()).isEqualTo(Priority.BULK);
        assertThat(message.account()).isEqualTo("shop");
        String text = message.content().toString(StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("X-Relay-Priority").endsWith("\r\nSubject: hi\r\n\r\nbody\r\n")
                .contains(" with ESMTPSA id ").doesNotContain("\tfor <");
    }

    @Test
    void aMessageWithTooManyReceivedFieldsIsRefusedAsALoopAndReleased() {
        CompositeByteBuf content = content("Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nbody\r\n");
        MessageAcceptance.Result result =
                acceptance.accept(state, transaction("a@dest.test"), content, PLAIN, id, NOW);

        assertThat(result).isEqualTo(new MessageAcceptance.Refused(Rejection.LOOP, Replies.TOO_MANY_RECEIVED, "2"));
        assertThat(content.refCnt()).isZero();
    }

    @Test
    void anEnvelopeTheSpoolRefusesIsRefusedAsContentAndReleased() {
        state.helo = "bad\0helo";
        CompositeByteBuf content = content("X-Relay-Priority: bulk\r\n\r\nbody\r\n");
        MessageAcceptance.Result result =
                acceptance.accept(state, transaction("a@dest.test"), content, PLAIN, id, NOW);

        assertThat(result).isInstanceOf(MessageAcceptance.Refused.class);
        MessageAcceptance.Refused refused = (MessageAcceptance.Refused) result;
        assertThat(refused.reason()).isEqualTo(Rejection.CONTENT);
        assertThat(refused.reply().code()).isEqualTo(554);
        assertThat(refused.reply().lines()).containsExactly("Message refused: helo contains a NUL character");
        assertThat(content.refCnt()).as("the original, and the stripped copy of it").isZero();
    }

    // ---- connected systems: header From, List-Help, default lane (issue 15) ---------------------------------------

    private static final Instant T = Instant.EPOCH;
    private final dev.relay.engine.identity.Identities systems = new dev.relay.engine.identity.Identities(
            new dev.relay.storage.SystemRecords.Snapshot(
                    List.of(new dev.relay.storage.SystemRecords.SystemInfo("shop", true, Priority.BULK, null, false,
                            T, T)),
                    List.of(),
                    List.of(new dev.relay.storage.SystemRecords.SendingDomain("shop.example", "shop", false,
                            "https://shop.example/why"),
                            new dev.relay.storage.SystemRecords.SendingDomain("crm.example", "crm", false, null))));
    private final MessageAcceptance withSystems = new MessageAcceptance(config(2), () -> systems);

    private void authenticatedAsShop() {
        new AuthExchange(config(2), true).result(state, new AuthResult.Success("shop-1", "shop", "transactional"));
        state.tls = true;
    }

    @Test
    void aHeaderFromOutsideTheSystemsDomainsIsRefusedBeforeTheCommitAndReleased() {
        authenticatedAsShop();
        CompositeByteBuf content = content("Subject: x\r\nFrom: \"Shop, Inc.\" <orders@shop.example>,\r\n"
                + " Someone <boss@CRM.example>\r\n\r\nbody\r\n");
        MessageAcceptance.Result result =
                withSystems.accept(state, transaction("a@dest.test"), content, PLAIN, id, NOW);

        assertThat(result).isInstanceOf(MessageAcceptance.Refused.class);
        MessageAcceptance.Refused refused = (MessageAcceptance.Refused) result;
        assertThat(refused.reason()).isEqualTo(Rejection.SENDER_DOMAIN);
        assertThat(refused.reply().code()).isEqualTo(550);
        assertThat(refused.reply().toString()).contains("5.7.1").contains("crm.example").contains("shop");
        assertThat(content.refCnt()).isZero();
    }

    @Test
    void listHelpIsAddedForTheFromDomainOnceAndTheSystemsLaneApplies() {
        authenticatedAsShop();
        IncomingMessage message = accepted(withSystems.accept(state, transaction("a@dest.test"),
                content("From: Shop <orders@shop.example> (the shop)\r\nSubject: hi\r\n\r\nbody\r\n"), PLAIN, id,
                NOW));
        String text = message.content().toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("Received: ").contains("\r\nList-Help: <https://shop.example/why>\r\nFrom: Shop")
                .endsWith("Subject: hi\r\n\r\nbody\r\n");
        assertThat(message.priority()).as("the system's default lane, read at acceptance").isEqualTo(Priority.BULK);
        message.content().release();

        IncomingMessage own = accepted(withSystems.accept(state, transaction("a@dest.test"),
                content("From: orders@shop.example\r\nlist-help:\r\n <mailto:help@shop.example>\r\n\r\nb\r\n"),
                PLAIN, MessageId.newId(), NOW));
        String ownText = own.content().toString(StandardCharsets.UTF_8);
        assertThat(ownText).doesNotContain("shop.example/why").contains("list-help:\r\n <mailto:help@shop.example>");
    }

    @Test
    void unauthenticatedRelayIsNotCheckedButGetsTheDomainsListHelp() {
        IncomingMessage message = accepted(withSystems.accept(state, transaction("a@dest.test"),
                content("From: someone@shop.example\r\n\r\nbody\r\n"), PLAIN, id, NOW));
        assertThat(message.content().toString(StandardCharsets.UTF_8)).contains("List-Help: <https://shop.example/why>");
        message.content().release();
        IncomingMessage other = accepted(withSystems.accept(state, transaction("a@dest.test"),
                content("From: someone@elsewhere.example\r\n\r\nbody\r\n"), PLAIN, MessageId.newId(), NOW));
        assertThat(other.content().toString(StandardCharsets.UTF_8)).doesNotContain("List-Help");
    }
}
