package dev.relay.engine.admin;

import dev.relay.engine.auth.PasswordHash;
import dev.relay.engine.identity.SystemDirectory;
import dev.relay.storage.PgSystems;
import dev.relay.storage.SystemRecords;
import dev.relay.storage.SystemRecords.Change;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * The connected systems as the admin API changes them: every change is followed by a refresh of this node's
 * snapshot, so it is in force here at once (on other nodes within {@code systems.refresh_interval}). New credentials
 * get a generated username and password; the password is hashed (PBKDF2, about 100 ms of CPU) on a worker, never on
 * the HTTP event loop, and is returned once, never stored. Immutable.
 */
public final class SystemsService {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A new credential: the only time its password is seen. */
    public record NewCredential(String system, String username, String password) {
        @Override
        public String toString() {
            return "NewCredential[" + system + ", " + username + "]";
        }
    }

    private final PgSystems systems;
    private final SystemDirectory directory;
    private final Scheduler hashing;

    public SystemsService(PgSystems systems, SystemDirectory directory) {
        this(systems, directory, Schedulers.boundedElastic());
    }

    SystemsService(PgSystems systems, SystemDirectory directory, Scheduler hashing) {
        this.systems = Objects.requireNonNull(systems, "systems");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.hashing = Objects.requireNonNull(hashing, "hashing");
    }

    PgSystems store() {
        return systems;
    }

    /** Applies {@code change}, then refreshes this node's snapshot when it was done. */
    Mono<Change> applied(Mono<Change> change) {
        return change.flatMap(c -> c instanceof SystemRecords.Done
                ? directory.refresh().thenReturn(c).onErrorReturn(c) : Mono.just(c));
    }

    /**
     * Generates a credential for {@code system}: username {@code <system>-<8 hex>}, a 144-bit random password;
     * a {@link SystemRecords.NotFound} without the system.
     */
    Mono<Object> addCredential(String system) {
        String s = SystemRecords.checkName(system);
        String prefix = s.length() > 55 ? s.substring(0, 55) : s;
        // SecureRandom may block on the OS's entropy and PBKDF2 costs ~100 ms: both on a worker, never the event loop
        return Mono.fromCallable(() -> {
            byte[] suffix = new byte[4];
            byte[] secret = new byte[18];
            RANDOM.nextBytes(suffix);
            RANDOM.nextBytes(secret);
            String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
            return new NewCredential(s, prefix + "-" + HexFormat.of().formatHex(suffix), password);
        }).subscribeOn(hashing).flatMap(fresh -> Mono.fromCallable(() ->
                        PasswordHash.create(fresh.password().toCharArray()).encode()).subscribeOn(hashing)
                .flatMap(hash -> applied(systems.addCredential(s, fresh.username(), hash)))
                .map(change -> change instanceof SystemRecords.Done ? fresh : change));
    }
}
