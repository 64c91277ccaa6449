package dev.relay.engine.identity;

import dev.relay.engine.auth.AuthUser;
import dev.relay.storage.PgSystems;
import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords.ImportedUser;
import dev.relay.storage.SystemRecords.Imported;
import java.util.Collection;
import reactor.core.publisher.Flux;

/**
 * A users file into the connected systems: each user becomes (or updates) a system of its name with one credential
 * of the same username and the file's domains. Idempotent ({@link PgSystems#importUser}): importing the same file
 * twice changes nothing, and what an operator changed in the database since (a revoked credential, a disabled
 * system) stays as it is.
 */
public final class UsersImport {
    private UsersImport() {
    }

    public static ImportedUser row(AuthUser u) {
        return new ImportedUser(u.systemName(), AuthUser.BULK.equals(u.priority()) ? Priority.BULK
                : Priority.TRANSACTIONAL, u.name(), u.hash().encode(), u.domains());
    }

    /** Imports every user, one transaction each, in order. */
    public static Flux<Imported> run(PgSystems systems, Collection<AuthUser> users) {
        return Flux.fromIterable(users).map(UsersImport::row).concatMap(systems::importUser);
    }

    /** One line for a log or a terminal. */
    public static String describe(Imported i) {
        return "system " + i.system() + (i.systemAdded() ? " (added)" : "") + ": credential " + i.username() + " "
                + i.credential() + ", " + i.domainsAdded() + " domain(s) added"
                + (i.domainsOfOthers().isEmpty() ? "" : "; not added, owned by another system: "
                + String.join(", ", i.domainsOfOthers()));
    }
}
