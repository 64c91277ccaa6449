package dev.relay.engine.testing;

import dev.relay.engine.RelayServer;
import dev.relay.engine.auth.PasswordHash;
import dev.relay.engine.config.RelayConfig;
import dev.relay.storage.SpoolReader;
import dev.relay.storage.testing.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.UUID;

/**
 * A real relay started in this JVM for a test: its own working directory under {@code target/it-relays}, a
 * relay.yaml written from the given extra settings, ports chosen by the OS, and two connected systems imported at
 * start from its users file: {@value #USER}/{@value #PASSWORD} (transactional, sending as {@value #SENDER_DOMAIN})
 * and {@value #BULK_USER} with the same password (bulk, sending as {@value #BULK_SENDER_DOMAIN}).
 */
public final class TestRelay implements AutoCloseable {
    public static final String USER = "shop";
    public static final String PASSWORD = "s3cret-pass";
    /** A second AUTH user, in the bulk lane, with the same {@link #PASSWORD}. */
    public static final String BULK_USER = "campaigns";
    /** The domain {@link #USER} may send as. */
    public static final String SENDER_DOMAIN = "shop.test";
    /** The domain {@link #BULK_USER} may send as (a domain belongs to one system only). */
    public static final String BULK_SENDER_DOMAIN = "news.shop.test";
    public static final String NO_DELIVERY = "delivery:\n  enabled: false\n";
    /** The admin API token of a relay from {@link #startWithAdmin} (in {@code admin.token} of its directory). */
    public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

    private final Path directory;
    private final RelayServer server;
    private TestDatabase database;
    private SpoolReader spool;

    private TestRelay(Path directory, RelayServer server) {
        this.directory = directory;
        this.server = server;
    }

    /**
     * A relay on a database schema of its own (named after {@code label}), both closed by {@link #close()}; its
     * spool is readable through {@link #spool()}.
     */
    public static TestRelay startWithDatabase(String label, String smtpExtra) {
        return startWithDatabase(label, smtpExtra, NO_DELIVERY);
    }

    /** @param sections YAML top-level sections appended to the file, e.g. a {@code delivery:} section */
    public static TestRelay startWithDatabase(String label, String smtpExtra, String sections) {
        TestDatabase database = TestDatabase.create(label);
        try {
            TestRelay relay = start(database.url(), smtpExtra, sections);
            relay.database = database;
            return relay;
        } catch (RuntimeException | Error e) {
            database.close();
            throw e;
        }
    }

    /** Like {@link #startWithDatabase(String, String, String)} with the admin API on ({@link #ADMIN_TOKEN}). */
    public static TestRelay startWithAdmin(String label, String sections) {
        TestDatabase database = TestDatabase.create(label);
        try {
            TestRelay relay = start(database.url(), "", "  admin_token_file: admin.token\n", sections);
            relay.database = database;
            return relay;
        } catch (RuntimeException | Error e) {
            database.close();
            throw e;
        }
    }

    /**
     * With the admin API on, on {@code databaseUrl} (a test may route it through a proxy it can cut), the database
     * not owned; {@code smtpExtra} as for {@link #start(String, String)}.
     */
    public static TestRelay startWithAdminOn(String databaseUrl, String smtpExtra, String sections) {
        return start(databaseUrl, smtpExtra, "  admin_token_file: admin.token\n", sections);
    }

    /** Like {@link #startWithAdmin(String, String)}, with {@code smtpExtra} as for {@link #start(String, String)}. */
    public static TestRelay startWithAdmin(String label, String smtpExtra, String sections) {
        TestDatabase database = TestDatabase.create(label);
        try {
            TestRelay relay = startWithAdminOn(database.url(), smtpExtra, sections);
            relay.database = database;
            return relay;
        } catch (RuntimeException | Error e) {
            database.close();
            throw e;
        }
    }

    /** The relay's own database (only for {@link #startWithDatabase}). */
    public TestDatabase database() {
        return java.util.Objects.requireNonNull(database, "started without its own database");
    }

    /** What the relay stored (only for {@link #startWithDatabase}). */
    public synchronized SpoolReader spool() {
        if (spool == null) {
            spool = new SpoolReader(java.util.Objects.requireNonNull(database, "started without its own database")
                    .pool(2));
        }
        return spool;
    }

    /** @param smtpExtra YAML lines (indented by 2 spaces) appended to the {@code smtp:} section */
    public static TestRelay start(TestDatabase database, String smtpExtra) {
        return start(database.url(), smtpExtra);
    }

    /** @param databaseUrl the R2DBC URL the relay uses (a test may route it through a proxy it can cut) */
    public static TestRelay start(String databaseUrl, String smtpExtra) {
        return start(databaseUrl, smtpExtra, NO_DELIVERY);
    }

    /**
     * Without a {@code delivery:} section of the test's own, delivery is off: the default would look up MX records
     * through the system's resolver, and tests only ever talk to loopback.
     */
    public static TestRelay start(String databaseUrl, String smtpExtra, String sections) {
        return start(databaseUrl, smtpExtra, "", sections);
    }

    private static TestRelay start(String databaseUrl, String smtpExtra, String httpExtra, String sections) {
        Path directory = Path.of("target", "it-relays", UUID.randomUUID().toString()).toAbsolutePath();
        try {
            Files.createDirectories(directory);
            String hash = PasswordHash.create(PASSWORD.toCharArray()).encode();
            Files.writeString(directory.resolve("users.yaml"), "users:\n  " + USER + ":\n    password: \""
                    + hash + "\"\n    priority: transactional\n    domains: [" + SENDER_DOMAIN + "]\n  "
                    + BULK_USER + ":\n    password: \"" + hash + "\"\n    priority: bulk\n    domains: ["
                    + BULK_SENDER_DOMAIN + "]\n");
            Files.writeString(directory.resolve("admin.token"), ADMIN_TOKEN + "\n");
            // owner-only, or the relay refuses to start (like OpenSSH with a private key)
            Files.setPosixFilePermissions(directory.resolve("users.yaml"), PosixFilePermissions.fromString("rw-------"));
            Files.setPosixFilePermissions(directory.resolve("admin.token"), PosixFilePermissions.fromString("rw-------"));
            String yaml = "data_dir: " + directory.resolve("data") + "\n"
                    + "smtp:\n"
                    + "  listen: 127.0.0.1:0\n"
                    + (smtpExtra.contains("hostname:") ? "" : "  hostname: relay.test\n")
                    + (smtpExtra.contains("  auth:") ? "" : "  auth: { users_file: users.yaml, require_tls: true }\n")
                    + smtpExtra
                    + "http:\n  listen: 127.0.0.1:0\n" + httpExtra
                    + "database:\n  url: \"" + databaseUrl + "\"\n  pool_size: 6\n"
                    // DKIM refuses an authenticated submission without a key by default; the tests of other
                    // parts submit as users whose domains have none, so they send unsigned unless they say otherwise
                    + (sections.contains("dkim:") ? "" : "dkim:\n  missing_key: send_unsigned\n")
                    + sections;
            Path config = directory.resolve("relay.yaml");
            Files.writeString(config, yaml);
            return new TestRelay(directory, RelayServer.start(RelayConfig.load(config, Map.of())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The domain {@code user} (one of the two users) may send as. */
    public static String senderDomain(String user) {
        return user.equals(BULK_USER) ? BULK_SENDER_DOMAIN : SENDER_DOMAIN;
    }

    public InetSocketAddress smtp() {
        return server.smtpAddress();
    }

    public InetSocketAddress http() {
        return server.httpAddress();
    }

    public Path directory() {
        return directory;
    }

    /** Stops the relay the way SIGTERM does (drain, then release), keeping its database for the test to read. */
    public void stopRelay() {
        server.close();
    }

    @Override
    public void close() {
        server.close();
        if (database != null) {
            database.close();
        }
    }
}
