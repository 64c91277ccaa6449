package dev.relay.engine.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.relay.engine.identity.Identities;
import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Verifies AUTH credentials against the connected systems' snapshot in force ({@link Identities}, refreshed from the
 * database by {@code SystemDirectory}). PBKDF2 runs on {@code hashingScheduler} (a bounded elastic or small dedicated
 * pool), never on the caller's thread, since the caller is usually a Netty event loop. Successful logins are
 * remembered for 10 minutes as HMAC-SHA256(password) under a per-instance random key, so a system that logs in on
 * every connection pays the PBKDF2 cost once; the cached value is compared in constant time and a mismatch falls
 * back to the full check. A remembered login counts only while the snapshot in force still has that credential with
 * the same hash, and its system is active: a revoked credential or a disabled system is refused from the first
 * snapshot without it, and {@link #retain} then forgets it. Unknown users cost a full PBKDF2 check of a dummy hash,
 * so timing does not reveal which users exist.
 */
public final class Authenticator {
    static final Duration CACHE_TTL = Duration.ofMinutes(10);
    static final int CACHE_SIZE = 10_000;

    /** A login verified once: the password's MAC and the hash it was checked against. */
    private record Verified(byte[] mac, PasswordHash hash) {}

    private final Supplier<Identities> identities;
    private final Scheduler hashingScheduler;
    private final AtomicReference<PasswordHash> dummy = new AtomicReference<>();
    private final SecretKeySpec cacheKey;
    private final Cache<String, Verified> verified = Caffeine.newBuilder()
            .expireAfterWrite(CACHE_TTL).maximumSize(CACHE_SIZE).build();

    /** @param identities the snapshot in force, asked at every attempt (cheap: a volatile read) */
    public Authenticator(Supplier<Identities> identities, Scheduler hashingScheduler) {
        this.identities = identities;
        this.hashingScheduler = hashingScheduler;
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.cacheKey = new SecretKeySpec(key, "HmacSHA256");
        this.dummy.set(PasswordHash.dummy(PasswordHash.DEFAULT_ITERATIONS));
    }

    /** A fixed set of users, each its own active system (tests, and what a users file amounts to). */
    public Authenticator(Map<String, AuthUser> users, Scheduler hashingScheduler) {
        this(constant(fromUsers(users)), hashingScheduler);
    }

    private static Supplier<Identities> constant(Identities i) {
        return () -> i;
    }

    private static Identities fromUsers(Map<String, AuthUser> users) {
        List<SystemRecords.SystemInfo> systems = new ArrayList<>();
        List<SystemRecords.Credential> credentials = new ArrayList<>();
        long id = 1;
        for (AuthUser u : users.values()) {
            systems.add(new SystemRecords.SystemInfo(u.systemName(), true,
                    u.priority().equals(AuthUser.BULK) ? Priority.BULK : Priority.TRANSACTIONAL, null, false,
                    Instant.EPOCH, Instant.EPOCH));
            credentials.add(new SystemRecords.Credential(id++, u.systemName(), u.name(),
                    u.hash().encode(), Instant.EPOCH, null));
        }
        return new Identities(new SystemRecords.Snapshot(systems, credentials, List.of()));
    }

    /** Whether any credential is in force (none: AUTH is not offered). */
    public boolean hasUsers() {
        return identities.get().hasLogins();
    }

    /** The snapshot in force. */
    public Identities identities() {
        return identities.get();
    }

    /** Forgets the verified logins {@code next} no longer allows (revoked, new hash, system disabled). */
    public void retain(Identities next) {
        verified.asMap().entrySet().removeIf(e -> {
            Identities.Login login = next.login(e.getKey());
            return login == null || !login.hash().equals(e.getValue().hash()) || !active(next, login);
        });
    }

    public Mono<AuthResult> authenticate(String user, String password) {
        return authenticate(user, password.toCharArray());
    }

    /** Checks the credentials; the password array is copied at once, so the caller may clear it. */
    public Mono<AuthResult> authenticate(String user, char[] password) {
        char[] pw = password.clone();
        return Mono.defer(() -> {
            Identities now = identities.get();
            Identities.Login known = now.login(user);
            Verified cached = known == null ? null : verified.getIfPresent(user);
            if (known != null && cached != null && cached.hash().equals(known.hash())) {
                byte[] mac = mac(pw);
                if (MessageDigest.isEqual(mac, cached.mac())) {
                    Arrays.fill(pw, '\0');
                    return Mono.just(outcome(now, known));
                }
            }
            return Mono.fromCallable(() -> verify(now, user, known, pw)).subscribeOn(hashingScheduler);
        }).doFinally(signal -> Arrays.fill(pw, '\0'));
    }

    /** On the hashing scheduler: the PBKDF2 check, and the dummy hash's random salt (SecureRandom may block). */
    private AuthResult verify(Identities now, String name, Identities.@Nullable Login login, char[] pw) {
        if (login == null) {
            dummyFor(now.maxIterations()).matches(pw);
            return new AuthResult.Failure(name);
        }
        if (!login.hash().matches(pw)) {
            return new AuthResult.Failure(name);
        }
        AuthResult result = outcome(now, login);
        if (result instanceof AuthResult.Success) {
            verified.put(name, new Verified(mac(pw), login.hash()));
        }
        return result;
    }

    private static AuthResult outcome(Identities now, Identities.Login login) {
        if (!active(now, login)) {
            return new AuthResult.Disabled(login.username(), login.system());
        }
        return new AuthResult.Success(login.username(), login.system(),
                now.lane(login.system()) == Priority.BULK ? AuthUser.BULK : AuthUser.TRANSACTIONAL);
    }

    private static boolean active(Identities now, Identities.Login login) {
        var system = now.system(login.system());
        return system != null && system.active();
    }

    private PasswordHash dummyFor(int iterations) {
        PasswordHash d = dummy.get();
        if (d == null || d.iterations() != iterations) {
            d = PasswordHash.dummy(iterations);
            dummy.set(d);
        }
        return d;
    }

    private byte[] mac(char[] pw) {
        ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(pw));
        byte[] b = new byte[bytes.remaining()];
        bytes.get(b);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(cacheKey);
            return mac.doFinal(b);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        } finally {
            Arrays.fill(b, (byte) 0);
            if (bytes.hasArray()) {
                Arrays.fill(bytes.array(), (byte) 0);
            }
        }
    }
}
