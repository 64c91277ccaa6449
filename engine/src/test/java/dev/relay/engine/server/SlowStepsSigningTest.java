package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.AuthConfig;
import dev.relay.engine.config.Cidr;
import dev.relay.engine.config.ClientLimitsConfig;
import dev.relay.engine.config.DkimConfig;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.dkim.DkimKeyring;
import dev.relay.engine.dkim.DkimProviders;
import dev.relay.engine.dkim.MessageSigning;
import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.protocol.ContentStats;
import dev.relay.protocol.PathParser;
import dev.relay.protocol.PathResult;
import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.storage.DkimKeyRecord;
import dev.relay.storage.IncomingMessage;
import dev.relay.storage.Spool;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The accept step with DKIM: the signature is made on the signing scheduler (never the caller's thread, which is a
 * session's event loop), put on top of the stored content before the spool gets it; a refusal stores nothing and
 * releases the content.
 */
class SlowStepsSigningTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private final ExecutorService signingThread = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-dkim"));
    private final List<IncomingMessage> stored = new ArrayList<>();
    private final List<String> storedOn = new ArrayList<>();

    @AfterEach
    void stop() {
        stored.forEach(m -> m.content().release());
        signingThread.shutdownNow();
    }

    private SlowSteps steps() throws Exception {
        KeyPair pair = DkimProviders.generate(DkimAlgorithm.ED25519_SHA256);
        return steps(List.of(new DkimKeyRecord("shop.example", "s1", "ed25519-sha256", pair.getPrivate().getEncoded(),
                false, pair.getPublic().getEncoded(), Instant.EPOCH, null, null, Instant.EPOCH)));
    }

    /** Signing with the keys of {@code rows}, refusing authenticated submissions from a domain without one. */
    private SlowSteps steps(List<DkimKeyRecord> rows) {
        DkimKeyring keyring = new DkimKeyring(() -> reactor.core.publisher.Flux.fromIterable(rows), null,
                DkimProviders.jdkOnly());
        keyring.refresh().block(WAIT);
        Spool spool = new Spool() {
            @Override
            public Mono<Void> store(IncomingMessage message) {
                return Mono.fromRunnable(() -> {
                    stored.add(message);
                    storedOn.add(Thread.currentThread().getName());
                });
            }

            @Override
            public Mono<Void> storeClaimed(IncomingMessage message, String node) {
                return store(message);
            }
        };
        SmtpConfig config = new SmtpConfig(SmtpConfig.DEFAULT_LISTEN, "relay.test", 1 << 20, 10, 10,
                Duration.ofMinutes(5), Duration.ofMinutes(10), 3, 20, SmtpConfig.DEFAULT_MAX_BYTES_IN_FLIGHT,
                Duration.ofSeconds(30), List.of(), List.of(), null, new AuthConfig(null, false));
        SessionServices services = new SessionServices(config, new RelayPolicy(List.of(Cidr.parse("10.0.0.0/8"))),
                spool, shopSendsAsShopExample(), null, new ByteBudget(1 << 20), new SmtpMetrics(new SimpleMeterRegistry(), () -> 0L),
                new AtomicInteger(), new AtomicBoolean(), new ClientLimits(ClientLimitsConfig.defaults(), List.of()),
                Clock.systemUTC(), SuppressionCheck.NONE,
                new MessageSigning(keyring, DkimConfig.MissingKey.REFUSE, MessageSigning.FallbackDomain.NONE),
                Schedulers.fromExecutorService(signingThread), dev.relay.engine.intake.IntakeDoor.NONE);
        return new SlowSteps(services, "t");
    }

    private static SessionState authenticated() throws Exception {
        SessionState state = new SessionState("t", InetAddress.getByName("192.0.2.9"));
        state.helo = "app.test";
        state.esmtp = true;
        state.user = "shop";
        return state;
    }

    /** Connected system "shop" sends as shop.example (the header From is checked before signing). */
    private static dev.relay.engine.auth.Authenticator shopSendsAsShopExample() {
        var identities = new dev.relay.engine.identity.Identities(new dev.relay.storage.SystemRecords.Snapshot(
                List.of(), List.of(), List.of(new dev.relay.storage.SystemRecords.SendingDomain("shop.example", "shop",
                        false, null), new dev.relay.storage.SystemRecords.SendingDomain("other.example", "shop",
                        false, null))));
        return new dev.relay.engine.auth.Authenticator(() -> identities, Schedulers.immediate());
    }

    private static Step.AcceptMessage step() {
        PathResult.Ok from = (PathResult.Ok) PathParser.mailFrom("FROM:<bounces@shop.example>", true);
        Transaction transaction = new Transaction(from.mailbox(), from.parameters());
        transaction.addRecipient(((PathResult.Ok) PathParser.rcptTo("TO:<ann@dest.test>", false)).mailbox());
        return new Step.AcceptMessage(transaction, new ContentStats(40, false, false, false, false, 0));
    }

    private static CompositeByteBuf content(String from) {
        CompositeByteBuf content = Unpooled.compositeBuffer();
        content.addComponent(true, Unpooled.copiedBuffer("From: " + from + "\r\nSubject: hi\r\n\r\nbody\r\n",
                StandardCharsets.US_ASCII));
        return content;
    }

    @Test
    void signsOnTheSigningSchedulerBeforeTheSpoolGetsTheMessage() throws Exception {
        Step step = steps().accept(authenticated(), step(), content("orders@shop.example")).block(WAIT);
        assertThat(step).isInstanceOf(Step.Stored.class);
        assertThat(storedOn).containsExactly("test-dkim");
        String text = stored.get(0).content().toString(StandardCharsets.US_ASCII);
        assertThat(text).startsWith("DKIM-Signature: v=1; a=ed25519-sha256;").contains("\r\nReceived: from app.test")
                .contains("\r\nMessage-ID: <").contains("\r\nDate: ").endsWith("Subject: hi\r\n\r\nbody\r\n");
    }

    @Test
    void aFromDomainWithoutAKeyIsRefusedNothingStoredAndTheContentReleased() throws Exception {
        CompositeByteBuf content = content("orders@other.example");
        Step step = steps().accept(authenticated(), step(), content).block(WAIT);
        assertThat(step).isInstanceOf(Step.Refuse.class);
        Step.Refuse refuse = (Step.Refuse) step;
        assertThat(refuse.reason()).isEqualTo(Rejection.DKIM_KEY_MISSING);
        assertThat(refuse.reply().toString()).contains("550").contains("5.7.1").contains("other.example");
        assertThat(stored).isEmpty();
        assertThat(content.refCnt()).isZero();
    }

    /**
     * No key at all and a submission the policy would not refuse: the outcome is "unsigned" whatever the header
     * says, so the message goes to the spool from the caller's thread without a hop to the signing scheduler.
     */
    @Test
    void withNoKeyAtAllUnauthenticatedMailIsStoredWithoutTheSigningScheduler() throws Exception {
        SessionState relayed = authenticated();
        relayed.user = null;
        CompositeByteBuf content = content("orders@shop.example");
        Step step = steps(List.of()).accept(relayed, step(), content).block(WAIT);
        assertThat(step).isInstanceOf(Step.Stored.class);
        assertThat(storedOn).containsExactly(Thread.currentThread().getName());
        assertThat(stored.get(0).content().toString(StandardCharsets.US_ASCII)).doesNotContain("DKIM-Signature");
    }

    @Test
    void withNoKeyAtAllAnAuthenticatedSubmissionIsStillRefusedForWantOfOne() throws Exception {
        CompositeByteBuf content = content("orders@shop.example");
        Step step = steps(List.of()).accept(authenticated(), step(), content).block(WAIT);
        assertThat(step).isInstanceOf(Step.Refuse.class);
        assertThat(((Step.Refuse) step).reason()).isEqualTo(Rejection.DKIM_KEY_MISSING);
        assertThat(stored).isEmpty();
        assertThat(content.refCnt()).isZero();
    }
}
