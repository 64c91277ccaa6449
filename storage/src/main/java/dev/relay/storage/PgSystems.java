package dev.relay.storage;

import static dev.relay.storage.Statements.bindNullable;
import static dev.relay.storage.Statements.rows;
import static dev.relay.storage.Statements.rowsUpdated;

import dev.relay.storage.SystemRecords.Change;
import dev.relay.storage.SystemRecords.Conflict;
import dev.relay.storage.SystemRecords.Credential;
import dev.relay.storage.SystemRecords.Detail;
import dev.relay.storage.SystemRecords.Done;
import dev.relay.storage.SystemRecords.ImportedUser;
import dev.relay.storage.SystemRecords.Imported;
import dev.relay.storage.SystemRecords.Listed;
import dev.relay.storage.SystemRecords.NotFound;
import dev.relay.storage.SystemRecords.SendingDomain;
import dev.relay.storage.SystemRecords.Snapshot;
import dev.relay.storage.SystemRecords.SystemInfo;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Connected systems, their SMTP credentials and sending domains (schema V6). Every change is one statement (or one
 * transaction) that reports, as a {@link Change}, whether it was done or what was missing or taken, so callers never
 * parse constraint errors. Immutable and thread-safe; results arrive on the driver's I/O thread.
 */
public final class PgSystems {
    private static final String SYSTEM_COLUMNS = "name, active, default_lane, notes, dkim_sign_as_system_domain,"
            + " created_at, updated_at, verp";
    private static final String CREDENTIAL_COLUMNS = "id, system, username, password_hash, created_at, revoked_at";
    private static final String DOMAIN_COLUMNS = "domain, system, include_subdomains, list_help";

    private static final String ADD_SYSTEM = "INSERT INTO system(name, default_lane, notes) VALUES ($1, $2, $3)"
            + " ON CONFLICT (name) DO NOTHING RETURNING name";
    /** Changes the settings given (a null parameter keeps its column). */
    private static final String SET = "UPDATE system SET default_lane = coalesce($2, default_lane),"
            + " notes = coalesce($3, notes), dkim_sign_as_system_domain = coalesce($4, dkim_sign_as_system_domain),"
            + " verp = CASE WHEN $5 THEN $6 ELSE verp END,"
            + " updated_at = now() WHERE name = $1";
    private static final String SET_ACTIVE = "UPDATE system SET active = $2, updated_at = now() WHERE name = $1";
    private static final String ADD_CREDENTIAL = "WITH s AS (SELECT name FROM system WHERE name = $1),"
            + " i AS (INSERT INTO credential(system, username, password_hash) SELECT name, $2, $3 FROM s"
            + " ON CONFLICT (username) DO NOTHING RETURNING id)"
            + " SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM i)";
    private static final String REVOKE = "UPDATE credential SET revoked_at = now()"
            + " WHERE system = $1 AND username = $2 AND revoked_at IS NULL";
    /** Adds the domain, or updates its settings when the system owns it already; never takes one from another. */
    private static final String ADD_DOMAIN = "WITH s AS (SELECT name FROM system WHERE name = $1),"
            + " i AS (INSERT INTO sending_domain(domain, system, include_subdomains, list_help)"
            + " SELECT $2, name, $3, $4 FROM s ON CONFLICT (domain) DO UPDATE SET"
            + " include_subdomains = excluded.include_subdomains, list_help = excluded.list_help"
            + " WHERE sending_domain.system = excluded.system RETURNING (xmax = 0) AS inserted)"
            + " SELECT (SELECT count(*) FROM s), (SELECT bool_or(inserted) FROM i),"
            + " (SELECT system FROM sending_domain WHERE domain = $2)";
    private static final String REMOVE_DOMAIN = "DELETE FROM sending_domain WHERE system = $1 AND domain = $2";
    private static final String SYSTEMS = "SELECT " + SYSTEM_COLUMNS + " FROM system ORDER BY name";
    private static final String ACTIVE_CREDENTIALS = "SELECT " + CREDENTIAL_COLUMNS + " FROM credential"
            + " WHERE revoked_at IS NULL ORDER BY id";
    /** In the order they were added: a system's "first domain" (the DKIM fallback) is its oldest. */
    private static final String DOMAINS = "SELECT " + DOMAIN_COLUMNS + " FROM sending_domain"
            + " ORDER BY created_at, domain";
    private static final String LIST = "SELECT " + SYSTEM_COLUMNS + ","
            + " (SELECT count(*) FROM credential c WHERE c.system = s.name AND c.revoked_at IS NULL),"
            + " (SELECT string_agg(domain, ',' ORDER BY domain) FROM sending_domain d WHERE d.system = s.name)"
            + " FROM system s ORDER BY name";
    private static final String ONE_SYSTEM = "SELECT " + SYSTEM_COLUMNS + " FROM system WHERE name = $1";
    private static final String CREDENTIALS_OF = "SELECT " + CREDENTIAL_COLUMNS + " FROM credential WHERE system = $1"
            + " ORDER BY id";
    private static final String DOMAINS_OF = "SELECT " + DOMAIN_COLUMNS + " FROM sending_domain WHERE system = $1"
            + " ORDER BY domain";
    private static final String IMPORT_SYSTEM = "INSERT INTO system(name, default_lane, notes)"
            + " VALUES ($1, $2, 'imported from a users file') ON CONFLICT (name) DO NOTHING RETURNING name";
    /** A revoked credential stays revoked and a username of another system stays theirs: the database wins. */
    private static final String IMPORT_CREDENTIAL = "WITH old AS (SELECT system, password_hash, revoked_at"
            + " FROM credential WHERE username = $2),"
            + " i AS (INSERT INTO credential(system, username, password_hash) VALUES ($1, $2, $3)"
            + " ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash"
            + " WHERE credential.revoked_at IS NULL AND credential.system = excluded.system"
            + " AND credential.password_hash <> excluded.password_hash RETURNING (xmax = 0) AS inserted)"
            + " SELECT CASE WHEN (SELECT inserted FROM i) THEN 'added' WHEN (SELECT NOT inserted FROM i) THEN 'updated'"
            + " WHEN (SELECT revoked_at IS NULL AND system = $1 FROM old) THEN 'unchanged' ELSE 'kept' END";
    private static final String IMPORT_DOMAIN = "WITH i AS (INSERT INTO sending_domain(domain, system) VALUES ($2, $1)"
            + " ON CONFLICT (domain) DO NOTHING RETURNING domain)"
            + " SELECT (SELECT count(*) FROM i), (SELECT system FROM sending_domain WHERE domain = $2)";

    private final Statements statements;

    public PgSystems(ConnectionFactory pool) {
        this.statements = new Statements(pool, "systems");
    }

    /** Adds a system, active; a {@link Conflict} when the name is taken. */
    public Mono<Change> addSystem(String name, Priority defaultLane, @Nullable String notes) {
        String n = SystemRecords.checkName(name);
        return statements.many(c -> bindNullable(c.createStatement(ADD_SYSTEM).bind(0, n).bind(1, lane(defaultLane)),
                        2, notes, String.class), row -> "added")
                .next().<Change>map(x -> new Done("system " + n + " added"))
                .defaultIfEmpty(new Conflict("system " + n + " exists already"));
    }

    /**
     * Changes a system's default lane, notes and {@code dkim_sign_as_system_domain}: only those given (non-null);
     * {@link NotFound} without the system.
     */
    public Mono<Change> update(String name, @Nullable Priority defaultLane, @Nullable String notes,
                               @Nullable Boolean dkimSignAsSystemDomain) {
        return update(name, defaultLane, notes, dkimSignAsSystemDomain, null);
    }

    /**
     * {@link #update(String, Priority, String, Boolean)}, and the system's VERP switch when {@code verp} is given:
     * {@link VerpSetting#DEFAULT} follows {@code bounces.verp.enabled} again.
     */
    public Mono<Change> update(String name, @Nullable Priority defaultLane, @Nullable String notes,
                               @Nullable Boolean dkimSignAsSystemDomain, @Nullable VerpSetting verp) {
        String n = SystemRecords.checkName(name);
        return statements.update(c -> {
                    Statement s = c.createStatement(SET).bind(0, n);
                    bindNullable(s, 1, defaultLane == null ? null : lane(defaultLane), String.class);
                    bindNullable(s, 2, notes, String.class);
                    bindNullable(s, 3, dkimSignAsSystemDomain, Boolean.class);
                    s.bind(4, verp != null);
                    return bindNullable(s, 5, verp == null ? null : verp.value(), Boolean.class);
                })
                .map(count -> count == 0 ? new NotFound("no system " + n) : new Done("system " + n + " changed"));
    }

    /** Enables or disables a system: its credentials stop (or start again) authenticating on every node's refresh. */
    public Mono<Change> setActive(String name, boolean active) {
        String n = SystemRecords.checkName(name);
        return statements.update(c -> c.createStatement(SET_ACTIVE).bind(0, n).bind(1, active))
                .map(count -> count == 0 ? new NotFound("no system " + n)
                        : new Done("system " + n + (active ? " enabled" : " disabled")));
    }

    /** Adds a credential; {@link NotFound} without the system, {@link Conflict} when the username was ever used. */
    public Mono<Change> addCredential(String system, String username, String passwordHash) {
        String s = SystemRecords.checkName(system);
        String u = SystemRecords.checkUsername(username);
        Objects.requireNonNull(passwordHash, "passwordHash");
        return statements.one(c -> c.createStatement(ADD_CREDENTIAL).bind(0, s).bind(1, u).bind(2, passwordHash),
                row -> new long[] {req(row.get(0, Long.class)), req(row.get(1, Long.class))})
                .map(r -> r[0] == 0 ? new NotFound("no system " + s) : r[1] == 0
                        ? new Conflict("username " + u + " is taken (usernames are never reused)")
                        : new Done("credential " + u + " added to " + s));
    }

    /** Revokes one credential of {@code system}; {@link NotFound} when it has no such credential in force. */
    public Mono<Change> revokeCredential(String system, String username) {
        String s = SystemRecords.checkName(system);
        String u = SystemRecords.checkUsername(username);
        return statements.update(c -> c.createStatement(REVOKE).bind(0, s).bind(1, u))
                .map(count -> count == 0 ? new NotFound("system " + s + " has no credential " + u + " in force")
                        : new Done("credential " + u + " of " + s + " revoked"));
    }

    /**
     * Adds {@code domain} to {@code system}, or updates its settings when the system has it already;
     * {@link Conflict} when another system owns it (one customer cannot send as another).
     */
    public Mono<Change> addDomain(String system, String domain, boolean includeSubdomains, @Nullable String listHelp) {
        String s = SystemRecords.checkName(system);
        String d = SystemRecords.checkDomain(domain);
        String help = listHelp == null ? null : SystemRecords.checkListHelp(listHelp);
        return statements.one(c -> bindNullable(c.createStatement(ADD_DOMAIN).bind(0, s).bind(1, d)
                                .bind(2, includeSubdomains), 3, help, String.class),
                row -> new Object[] {req(row.get(0, Long.class)), row.get(1, Boolean.class), row.get(2, String.class)})
                .map(r -> {
                    if ((Long) r[0] == 0) {
                        return new NotFound("no system " + s);
                    }
                    if (r[1] == null) {
                        return new Conflict("domain " + d + " belongs to system " + r[2]);
                    }
                    return new Done("domain " + d + ((Boolean) r[1] ? " added to " : " updated for ") + s);
                });
    }

    /** Removes {@code domain} from {@code system}. */
    public Mono<Change> removeDomain(String system, String domain) {
        String s = SystemRecords.checkName(system);
        String d = SystemRecords.checkDomain(domain);
        return statements.update(c -> c.createStatement(REMOVE_DOMAIN).bind(0, s).bind(1, d))
                .map(count -> count == 0 ? new NotFound("system " + s + " has no domain " + d)
                        : new Done("domain " + d + " removed from " + s));
    }

    /** Everything the nodes hold in memory, read on one connection. */
    public Mono<Snapshot> snapshot() {
        return statements.withConnection(c -> Mono.zip(
                rows(c.createStatement(SYSTEMS), PgSystems::system).collectList(),
                rows(c.createStatement(ACTIVE_CREDENTIALS), PgSystems::credential).collectList(),
                rows(c.createStatement(DOMAINS), PgSystems::domain).collectList())
                .map(t -> new Snapshot(t.getT1(), t.getT2(), t.getT3())), Statements.TIMEOUT);
    }

    /** Every system with its number of credentials in force and its domains, by name. */
    public Flux<Listed> list() {
        return statements.many(c -> c.createStatement(LIST), row -> {
            String domains = row.get(9, String.class);
            return new Listed(system(row), req(row.get(8, Long.class)),
                    domains == null ? List.of() : Arrays.asList(domains.split(",")));
        });
    }

    /** One system with all its credentials and domains; empty when there is none. */
    public Mono<Detail> show(String name) {
        String n = SystemRecords.checkName(name);
        return statements.withConnection(c -> rows(c.createStatement(ONE_SYSTEM).bind(0, n), PgSystems::system).next()
                .flatMap(s -> Mono.zip(
                        rows(c.createStatement(CREDENTIALS_OF).bind(0, n), PgSystems::credential).collectList(),
                        rows(c.createStatement(DOMAINS_OF).bind(0, n), PgSystems::domain).collectList())
                        .map(t -> new Detail(s, t.getT1(), t.getT2()))), Statements.TIMEOUT);
    }

    /**
     * Imports one user of a users file in one transaction, idempotently: adds the system, the credential and the
     * domains that are missing, updates the hash of a credential in force of the same system, and otherwise leaves
     * what the database holds as it is (a revoked credential stays revoked, a disabled system disabled).
     */
    public Mono<Imported> importUser(ImportedUser u) {
        return statements.withConnection(c -> Database.inTransaction(c, tx -> importUser(c, u)),
                Statements.TIMEOUT.multipliedBy(2));
    }

    private Mono<Imported> importUser(Connection c, ImportedUser u) {
        Mono<Boolean> system = rows(c.createStatement(IMPORT_SYSTEM).bind(0, u.system()).bind(1, lane(u.lane())),
                row -> true).next().defaultIfEmpty(false);
        Mono<String> credential = rows(c.createStatement(IMPORT_CREDENTIAL).bind(0, u.system()).bind(1, u.username())
                .bind(2, u.passwordHash()), row -> req(row.get(0, String.class))).next();
        Mono<List<Object[]>> domains = Flux.fromIterable(u.domains()).concatMap(d -> rows(c.createStatement(
                IMPORT_DOMAIN).bind(0, u.system()).bind(1, d), row -> new Object[] {d, req(row.get(0, Long.class)),
                        row.get(1, String.class)})).collectList();
        return system.flatMap(added -> credential.flatMap(cred -> domains.map(ds -> {
            int domainsAdded = 0;
            List<String> others = new ArrayList<>();
            for (Object[] d : ds) {
                if ((Long) d[1] > 0) {
                    domainsAdded++;
                } else if (!u.system().equals(d[2])) {
                    others.add((String) d[0]);
                }
            }
            return new Imported(u.system(), added, u.username(), cred, domainsAdded, List.copyOf(others));
        })));
    }

    private static String lane(Priority p) {
        return p == Priority.BULK ? "bulk" : "transactional";
    }

    private static SystemInfo system(Row row) {
        return new SystemInfo(req(row.get(0, String.class)), req(row.get(1, Boolean.class)),
                "bulk".equals(row.get(2, String.class)) ? Priority.BULK : Priority.TRANSACTIONAL,
                row.get(3, String.class), req(row.get(4, Boolean.class)), instant(req(row.get(5, OffsetDateTime.class))),
                instant(req(row.get(6, OffsetDateTime.class))), row.get(7, Boolean.class));
    }

    private static Credential credential(Row row) {
        OffsetDateTime revoked = row.get(5, OffsetDateTime.class);
        return new Credential(req(row.get(0, Long.class)), req(row.get(1, String.class)),
                req(row.get(2, String.class)), req(row.get(3, String.class)),
                instant(req(row.get(4, OffsetDateTime.class))), revoked == null ? null : instant(revoked));
    }

    private static SendingDomain domain(Row row) {
        return new SendingDomain(req(row.get(0, String.class)), req(row.get(1, String.class)),
                req(row.get(2, Boolean.class)), row.get(3, String.class));
    }

    private static Instant instant(OffsetDateTime t) {
        return t.toInstant();
    }

    private static <T> T req(@Nullable T value) {
        return Objects.requireNonNull(value, "column");
    }

    /** A system's VERP switch as {@code relay system set --verp} gives it. */
    public enum VerpSetting {
        ON(Boolean.TRUE), OFF(Boolean.FALSE), DEFAULT(null);

        private final @Nullable Boolean value;

        VerpSetting(@Nullable Boolean value) {
            this.value = value;
        }

        /** The column's value: null follows the global setting. */
        public @Nullable Boolean value() {
            return value;
        }

        /** {@code on}, {@code off} or {@code default}; else an IllegalArgumentException naming them. */
        public static VerpSetting parse(String s) {
            return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "on" -> ON;
                case "off" -> OFF;
                case "default" -> DEFAULT;
                default -> throw new IllegalArgumentException("verp must be on, off or default, was '" + s + "'");
            };
        }
    }
}
