package dev.relay.engine.dkim;

import dev.relay.engine.identity.Identities;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code dkim_sign_as_system_domain} of a connected system ({@code relay system set NAME
 * --dkim-sign-as-system-domain true}): a message whose header From domain has no active key is signed with the
 * first of the system's sending domains (oldest first) that has one, rather than refused by {@code dkim.missing_key}.
 * Reads the identities snapshot in force and the keyring at each call; holds no state of its own, thread-safe.
 */
public final class SystemDomainFallback implements MessageSigning.FallbackDomain {
    private final Supplier<Identities> identities;
    private final DkimKeyring keyring;
    private final Clock clock;

    public SystemDomainFallback(Supplier<Identities> identities, DkimKeyring keyring, Clock clock) {
        this.identities = Objects.requireNonNull(identities, "identities");
        this.keyring = Objects.requireNonNull(keyring, "keyring");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public @Nullable String domainFor(String system) {
        for (String domain : identities.get().signAsDomains(system)) {
            if (!keyring.signing(domain, clock.instant()).isEmpty()) {
                return domain;
            }
        }
        return null;
    }
}
