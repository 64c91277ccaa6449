package dev.relay.engine.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class AuthenticatorTest {
    private final AtomicInteger hashingTasks = new AtomicInteger();
    private final AtomicReference<String> hashingThread = new AtomicReference<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(() -> {
            hashingThread.set(Thread.currentThread().getName());
            r.run();
        }, "hashing");
        t.setDaemon(true);
        return t;
    });
    private final Scheduler scheduler = Schedulers.fromExecutorService(new java.util.concurrent.AbstractExecutorService() {
        @Override public void execute(Runnable command) {
            hashingTasks.incrementAndGet();
            pool.execute(command);
        }
        @Override public void shutdown() { pool.shutdown(); }
        @Override public java.util.List<Runnable> shutdownNow() { return pool.shutdownNow(); }
        @Override public boolean isShutdown() { return pool.isShutdown(); }
        @Override public boolean isTerminated() { return pool.isTerminated(); }
        @Override public boolean awaitTermination(long t, java.util.concurrent.TimeUnit u) throws InterruptedException {
            return pool.awaitTermination(t, u);
        }
    }, "hashing");

    private final Authenticator auth = new Authenticator(Map.of(
            "shop", new AuthUser("shop", PasswordHash.create("right".toCharArray(), 1000), "transactional"),
            "news", new AuthUser("news", PasswordHash.create("other".toCharArray(), 1000), "bulk")), scheduler);

    @AfterEach
    void stop() {
        scheduler.dispose();
    }

    @Test
    void successRunsOnHashingSchedulerThenHitsCache() {
        StepVerifier.create(auth.authenticate("shop", "right"))
                .expectNext(new AuthResult.Success("shop", "transactional")).verifyComplete();
        assertThat(hashingTasks).hasValue(1);
        assertThat(hashingThread.get()).isEqualTo("hashing");
        StepVerifier.create(auth.authenticate("shop", "right".toCharArray()))
                .expectNext(new AuthResult.Success("shop", "transactional")).verifyComplete();
        assertThat(hashingTasks).as("second login is served from the cache").hasValue(1);
    }

    @Test
    void wrongPasswordFailsEvenWithCachedSuccess() {
        auth.authenticate("news", "other").block(Duration.ofSeconds(5));
        StepVerifier.create(auth.authenticate("news", "wrong"))
                .expectNext(new AuthResult.Failure("news")).verifyComplete();
        assertThat(hashingTasks).as("a cache mismatch falls back to the full check").hasValue(2);
        StepVerifier.create(auth.authenticate("news", "other"))
                .expectNext(new AuthResult.Success("news", "bulk")).verifyComplete();
        assertThat(hashingTasks).hasValue(2);
    }

    @Test
    void unknownUserSpendsHashingTimeToo() {
        StepVerifier.create(auth.authenticate("nobody", "right"))
                .expectNext(new AuthResult.Failure("nobody")).verifyComplete();
        assertThat(hashingTasks).hasValue(1);
    }

    @Test
    void neverHashesOnTheSubscribingNonBlockingThread() {
        // subscribing from a parallel (non-blocking) thread: the check still hops to the hashing scheduler
        AuthResult r = Mono.defer(() -> auth.authenticate("shop", "right"))
                .subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(5));
        assertThat(r).isInstanceOf(AuthResult.Success.class);
        assertThat(hashingTasks).hasValue(1);
    }

    @Test
    void callerMayClearItsArray() {
        char[] pw = "right".toCharArray();
        Mono<AuthResult> m = auth.authenticate("shop", pw);
        java.util.Arrays.fill(pw, 'x');
        assertThat(m.block(Duration.ofSeconds(5))).isInstanceOf(AuthResult.Success.class);
        assertThat(auth.hasUsers()).isTrue();
    }

    // ---- against the connected systems' snapshot (issue 15) ----------------------------------------------------

    private static final java.time.Instant T = java.time.Instant.EPOCH;
    private final PasswordHash shopHash = PasswordHash.create("right".toCharArray(), 1000);

    private dev.relay.engine.identity.Identities snapshot(boolean active, boolean withCredential, PasswordHash hash) {
        return new dev.relay.engine.identity.Identities(new dev.relay.storage.SystemRecords.Snapshot(
                java.util.List.of(new dev.relay.storage.SystemRecords.SystemInfo("shop", active,
                        dev.relay.storage.Priority.BULK, null, false, T, T)),
                withCredential ? java.util.List.of(new dev.relay.storage.SystemRecords.Credential(7, "shop",
                        "shop-1a2b", hash.encode(), T, null)) : java.util.List.of(),
                java.util.List.of()));
    }

    @Test
    void aCredentialLogsInAsItsSystemInItsSystemsLane() {
        Authenticator db = new Authenticator(() -> snapshot(true, true, shopHash), scheduler);
        StepVerifier.create(db.authenticate("shop-1a2b", "right"))
                .expectNext(new AuthResult.Success("shop-1a2b", "shop", "bulk")).verifyComplete();
    }

    @Test
    void aRevokedCredentialStopsWorkingEvenWhileItsLoginIsCached() {
        AtomicReference<dev.relay.engine.identity.Identities> now = new AtomicReference<>(snapshot(true, true,
                shopHash));
        Authenticator db = new Authenticator(now::get, scheduler);
        assertThat(db.authenticate("shop-1a2b", "right").block(Duration.ofSeconds(5)))
                .isInstanceOf(AuthResult.Success.class);
        now.set(snapshot(true, false, shopHash)); // the next refresh no longer has it
        StepVerifier.create(db.authenticate("shop-1a2b", "right"))
                .expectNext(new AuthResult.Failure("shop-1a2b")).verifyComplete();
        assertThat(hashingTasks).as("the dummy hash is checked, as for any unknown user").hasValue(2);
    }

    @Test
    void aDisabledSystemIsRefusedAfterTheCorrectPasswordOnly() {
        AtomicReference<dev.relay.engine.identity.Identities> now = new AtomicReference<>(snapshot(true, true,
                shopHash));
        Authenticator db = new Authenticator(now::get, scheduler);
        db.authenticate("shop-1a2b", "right").block(Duration.ofSeconds(5));
        now.set(snapshot(false, true, shopHash));
        StepVerifier.create(db.authenticate("shop-1a2b", "right"))
                .expectNext(new AuthResult.Disabled("shop-1a2b", "shop")).verifyComplete();
        StepVerifier.create(db.authenticate("shop-1a2b", "wrong"))
                .expectNext(new AuthResult.Failure("shop-1a2b")).verifyComplete();
    }

    @Test
    void aNewPasswordHashInvalidatesTheCachedLoginAndRetainForgetsIt() {
        AtomicReference<dev.relay.engine.identity.Identities> now = new AtomicReference<>(snapshot(true, true,
                shopHash));
        Authenticator db = new Authenticator(now::get, scheduler);
        db.authenticate("shop-1a2b", "right").block(Duration.ofSeconds(5));
        dev.relay.engine.identity.Identities changed = snapshot(true, true,
                PasswordHash.create("new".toCharArray(), 1000));
        now.set(changed);
        db.retain(changed);
        StepVerifier.create(db.authenticate("shop-1a2b", "right"))
                .expectNext(new AuthResult.Failure("shop-1a2b")).verifyComplete();
        StepVerifier.create(db.authenticate("shop-1a2b", "new"))
                .expectNext(new AuthResult.Success("shop-1a2b", "shop", "bulk")).verifyComplete();
        assertThat(hashingTasks).hasValue(3);
    }
}
