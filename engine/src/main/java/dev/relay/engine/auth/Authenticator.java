package dev.relay.engine.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Verifies AUTH credentials. PBKDF2 runs on {@code hashingScheduler} (a bounded elastic or small dedicated
 * pool), never on the caller's thread, since the caller is usually a Netty event loop. Successful logins are
 * remembered for 10 minutes as HMAC-SHA256(password) under a per-instance random key, so a system that
 * logs in on every connection pays the PBKDF2 cost once; the cached value is compared in constant time and
 * a mismatch falls back to the full check. Unknown users cost a full PBKDF2 check of a dummy hash, so
 * timing does not reveal which users exist.
 */
public final class Authenticator {
    static final Duration CACHE_TTL = Duration.ofMinutes(10);
    static final int CACHE_SIZE = 10_000;

    private final Map<String, AuthUser> users;
    private final Scheduler hashingScheduler;
    private final PasswordHash dummy;
    private final SecretKeySpec cacheKey;
    private final Cache<String, byte[]> verified = Caffeine.newBuilder()
            .expireAfterWrite(CACHE_TTL).maximumSize(CACHE_SIZE).build();

    public Authenticator(Map<String, AuthUser> users, Scheduler hashingScheduler) {
        this.users = Map.copyOf(users);
        this.hashingScheduler = hashingScheduler;
        int iterations = this.users.values().stream().mapToInt(u -> u.hash().iterations()).max()
                .orElse(PasswordHash.DEFAULT_ITERATIONS);
        this.dummy = PasswordHash.dummy(iterations);
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        this.cacheKey = new SecretKeySpec(key, "HmacSHA256");
    }

    /** Whether any user is configured (no users: AUTH is not offered). */
    public boolean hasUsers() {
        return !users.isEmpty();
    }

    public Mono<AuthResult> authenticate(String user, String password) {
        return authenticate(user, password.toCharArray());
    }

    /** Checks the credentials; the password array is copied at once, so the caller may clear it. */
    public Mono<AuthResult> authenticate(String user, char[] password) {
        char[] pw = password.clone();
        return Mono.defer(() -> {
            AuthUser known = users.get(user);
            byte[] cached = known == null ? null : verified.getIfPresent(user);
            if (known != null && cached != null) {
                byte[] mac = mac(pw);
                if (MessageDigest.isEqual(mac, cached)) {
                    Arrays.fill(pw, '\0');
                    return Mono.just(success(known));
                }
            }
            return Mono.fromCallable(() -> verify(user, known, pw)).subscribeOn(hashingScheduler);
        }).doFinally(signal -> Arrays.fill(pw, '\0'));
    }

    private AuthResult verify(String name, @Nullable AuthUser user, char[] pw) {
        if (user == null) {
            dummy.matches(pw);
            return new AuthResult.Failure(name);
        }
        if (!user.hash().matches(pw)) {
            return new AuthResult.Failure(name);
        }
        verified.put(name, mac(pw));
        return success(user);
    }

    private static AuthResult success(AuthUser u) {
        return new AuthResult.Success(u.name(), u.priority());
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
