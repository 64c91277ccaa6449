package dev.relay.storage;

import java.net.IDN;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** The values of {@link PgSystems}: connected systems, their credentials and sending domains, validated here. */
public final class SystemRecords {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    /** A List-Help URL is written into a header line: short, printable, no angle brackets or spaces. */
    private static final Pattern URL = Pattern.compile("(https://|mailto:)[\\x21-\\x7e&&[^<>\"\\\\]]{1,400}");

    private SystemRecords() {}

    /**
     * A connected system. {@code defaultLane}: the lane of its messages without an explicit priority header.
     * {@code verp} (schema V11): whether its deliveries get a VERP envelope sender; null follows
     * {@code bounces.verp.enabled}.
     */
    public record SystemInfo(String name, boolean active, Priority defaultLane, @Nullable String notes,
                             boolean dkimSignAsSystemDomain, Instant createdAt, Instant updatedAt,
                             @Nullable Boolean verp) {
        public SystemInfo {
            checkName(name);
            Objects.requireNonNull(defaultLane, "defaultLane");
        }

        /** Following the global VERP setting. */
        public SystemInfo(String name, boolean active, Priority defaultLane, @Nullable String notes,
                          boolean dkimSignAsSystemDomain, Instant createdAt, Instant updatedAt) {
            this(name, active, defaultLane, notes, dkimSignAsSystemDomain, createdAt, updatedAt, null);
        }
    }

    /** An SMTP credential; {@code passwordHash} is the encoded PBKDF2 value, never a password. */
    public record Credential(long id, String system, String username, String passwordHash, Instant createdAt,
                             @Nullable Instant revokedAt) {
        @Override
        public String toString() {
            return "Credential[" + id + ", " + system + ", " + username + (revokedAt == null ? "" : ", revoked") + "]";
        }
    }

    /** A domain {@code system} may send as (and below it when {@code includeSubdomains}). */
    public record SendingDomain(String domain, String system, boolean includeSubdomains, @Nullable String listHelp) {
        public SendingDomain {
            checkDomain(domain);
            checkName(system);
            if (listHelp != null) {
                checkListHelp(listHelp);
            }
        }
    }

    /** What every node holds in memory: all systems, the credentials not revoked, all sending domains. */
    public record Snapshot(List<SystemInfo> systems, List<Credential> credentials, List<SendingDomain> domains) {
        public static final Snapshot EMPTY = new Snapshot(List.of(), List.of(), List.of());

        public Snapshot {
            systems = List.copyOf(systems);
            credentials = List.copyOf(credentials);
            domains = List.copyOf(domains);
        }
    }

    /** One system with its counts, for a listing. */
    public record Listed(SystemInfo system, long activeCredentials, List<String> domains) {}

    /** One system with all its credentials (revoked ones included) and domains. */
    public record Detail(SystemInfo system, List<Credential> credentials, List<SendingDomain> domains) {}

    /** A change asked of {@link PgSystems}: done, or refused because something is missing or already taken. */
    public sealed interface Change permits Done, NotFound, Conflict {}

    /** Done; {@code what} says what changed, for the answer to the operator. */
    public record Done(String what) implements Change {}

    /** Refused: {@code what} does not exist. */
    public record NotFound(String what) implements Change {}

    /** Refused: {@code what} exists already, or belongs to another system. */
    public record Conflict(String what) implements Change {}

    /** One user of a users file ({@code relay system import}): a system with one credential and its domains. */
    public record ImportedUser(String system, Priority lane, String username, String passwordHash,
                               List<String> domains) {
        public ImportedUser {
            checkName(system);
            checkUsername(username);
            Objects.requireNonNull(lane, "lane");
            Objects.requireNonNull(passwordHash, "passwordHash");
            domains = domains.stream().map(SystemRecords::checkDomain).toList();
        }
    }

    /**
     * What importing one user did. {@code credential}: {@code added}, {@code updated} (new hash),
     * {@code unchanged}, or {@code kept} (revoked, or the username belongs to another system: the database wins).
     */
    public record Imported(String system, boolean systemAdded, String username, String credential, int domainsAdded,
                           List<String> domainsOfOthers) {}

    /** A system name: 1-64 lower-case letters, digits, dot, underscore or hyphen, starting with a letter or digit. */
    public static String checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("system name must be 1-64 lower-case letters, digits or . _ -"
                    + " (starting with a letter or digit), was '" + clip(name) + "'");
        }
        return name;
    }

    /** An SMTP username, as the users file allowed (1-64 of letters, digits, . _ @ + -). */
    public static String checkUsername(String username) {
        if (username == null || !USERNAME.matcher(username).matches()) {
            throw new IllegalArgumentException("username must be 1-64 letters, digits or . _ @ + - (starting with a"
                    + " letter or digit), was '" + clip(username) + "'");
        }
        return username;
    }

    /** A domain name, lower-cased, internationalised names in their A-label (punycode) form. */
    public static String checkDomain(String domain) {
        String d;
        try {
            d = IDN.toASCII(Objects.requireNonNull(domain, "domain").strip(), IDN.ALLOW_UNASSIGNED)
                    .toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a domain name: '" + clip(domain) + "'");
        }
        if (d.endsWith(".")) {
            d = d.substring(0, d.length() - 1);
        }
        String[] labels = d.split("\\.", -1);
        if (d.length() > 253 || labels.length < 2) {
            throw new IllegalArgumentException("not a domain name (at least two labels): '" + clip(domain) + "'");
        }
        for (String l : labels) {
            if (!LABEL.matcher(l).matches()) {
                throw new IllegalArgumentException("not a domain name: '" + clip(domain) + "'");
            }
        }
        return d;
    }

    /** A List-Help URL: {@code https:} or {@code mailto:}, printable ASCII without spaces or angle brackets. */
    public static String checkListHelp(String url) {
        if (url == null || !URL.matcher(url).matches()) {
            throw new IllegalArgumentException("list_help must be an https: or mailto: URL of at most 400 printable"
                    + " characters without spaces, quotes or angle brackets, was '" + clip(url) + "'");
        }
        return url;
    }

    private static String clip(@Nullable String s) {
        if (s == null) {
            return "null";
        }
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
