package dev.relay.engine.identity;

import dev.relay.engine.auth.PasswordHash;
import dev.relay.storage.Priority;
import dev.relay.storage.SystemRecords.Credential;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import java.net.IDN;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One immutable snapshot of the connected systems, indexed for the front door: credentials by username, systems by
 * name, sending domains by name. Built once per refresh off the event loop; read by any thread without locking.
 */
public final class Identities {
    public static final Identities EMPTY = new Identities(Snapshot.EMPTY);
    private static final Logger log = LoggerFactory.getLogger(Identities.class);

    /** A credential in force, its hash parsed once per refresh rather than at every AUTH. */
    public record Login(long id, String username, String system, PasswordHash hash) {}

    private final Map<String, Login> logins = new HashMap<>();
    private final Map<String, SystemInfo> systems = new HashMap<>();
    private final Map<String, SendingDomain> domains = new HashMap<>();
    /** The sending domains of each system that signs as its own domain, oldest first (the snapshot's order). */
    private final Map<String, List<String>> signAsDomains = new HashMap<>();
    private final int maxIterations;
    private final boolean anyListHelp;

    public Identities(Snapshot snapshot) {
        for (SystemInfo s : snapshot.systems()) {
            systems.put(s.name(), s);
        }
        int iterations = 0;
        for (Credential c : snapshot.credentials()) {
            try {
                PasswordHash hash = PasswordHash.parse(c.passwordHash());
                logins.put(c.username(), new Login(c.id(), c.username(), c.system(), hash));
                iterations = Math.max(iterations, hash.iterations());
            } catch (IllegalArgumentException e) {
                // one bad row must not take every other system's AUTH down; it simply cannot log in
                log.warn("credential {} of system {} has an unusable password hash: {}", c.username(), c.system(),
                        e.getMessage());
            }
        }
        this.maxIterations = iterations == 0 ? PasswordHash.DEFAULT_ITERATIONS : iterations;
        boolean help = false;
        for (SendingDomain d : snapshot.domains()) {
            domains.put(d.domain(), d);
            help |= d.listHelp() != null;
            SystemInfo owner = systems.get(d.system());
            if (owner != null && owner.dkimSignAsSystemDomain()) {
                signAsDomains.computeIfAbsent(d.system(), k -> new ArrayList<>()).add(d.domain());
            }
        }
        this.anyListHelp = help;
    }

    /** Whether any sending domain has a List-Help URL (none: acceptance need not read the header From). */
    public boolean hasListHelp() {
        return anyListHelp;
    }

    public @Nullable Login login(String username) {
        return logins.get(username);
    }

    public @Nullable SystemInfo system(String name) {
        return systems.get(name);
    }

    /** How many credentials are in force. */
    public int logins() {
        return logins.size();
    }

    /** How many systems there are, active or not. */
    public int systems() {
        return systems.size();
    }

    /** Whether any credential is in force (none: AUTH is not offered). */
    public boolean hasLogins() {
        return !logins.isEmpty();
    }

    /** The highest PBKDF2 iteration count in force, so an unknown user costs what a known one does. */
    public int maxIterations() {
        return maxIterations;
    }

    /** The default lane of {@code system}'s messages; transactional for a system not (or no longer) known. */
    public Priority lane(String system) {
        SystemInfo s = systems.get(system);
        return s == null ? Priority.TRANSACTIONAL : s.defaultLane();
    }

    /**
     * The sending-domain entry that governs {@code domain}: its own entry, else the nearest parent entry that includes
     * subdomains; null when none does. The most specific entry decides, so a subdomain given to another system is
     * theirs even under a parent that includes subdomains.
     */
    public @Nullable SendingDomain governing(String domain) {
        String d = normalise(domain);
        if (d == null) {
            return null;
        }
        SendingDomain exact = domains.get(d);
        if (exact != null) {
            return exact;
        }
        for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
            SendingDomain parent = domains.get(d.substring(dot + 1));
            if (parent != null && parent.includeSubdomains()) {
                return parent;
            }
        }
        return null;
    }

    /** Whether {@code system} may use addresses at {@code domain} as envelope sender and header From. */
    public boolean maySendAs(String system, String domain) {
        SendingDomain governing = governing(domain);
        return governing != null && governing.system().equals(system);
    }

    /**
     * The domains whose DKIM keys may sign {@code system}'s messages when their header From domain has none, oldest
     * first: its sending domains when it says {@code dkim_sign_as_system_domain}, else none.
     */
    public List<String> signAsDomains(String system) {
        List<String> d = signAsDomains.get(system);
        return d == null ? List.of() : List.copyOf(d);
    }

    /** The List-Help URL for mail from {@code domain}, if its governing entry has one. */
    public @Nullable String listHelp(String domain) {
        SendingDomain governing = governing(domain);
        return governing == null ? null : governing.listHelp();
    }

    /** Lower case, A-labels (as the table stores them), no trailing dot; null when it is no domain name at all. */
    private static @Nullable String normalise(String domain) {
        String d = domain.strip();
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        if (d.isEmpty() || d.length() > 253) {
            return null;
        }
        try {
            return IDN.toASCII(d, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
