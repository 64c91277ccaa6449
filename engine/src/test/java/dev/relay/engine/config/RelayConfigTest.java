package dev.relay.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayConfigTest {
    @TempDir
    Path dir;

    private Path write(String yaml) throws IOException {
        Path f = dir.resolve("relay.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    private RelayConfig load(String yaml) throws IOException {
        return RelayConfig.load(write(yaml), Map.of());
    }

    private static ConfigException configError(Runnable r) {
        try {
            r.run();
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("no ConfigException");
    }

    @Test
    void defaultsWithoutFile() {
        RelayConfig c = RelayConfig.load(null, Map.of());
        assertThat(c).isEqualTo(RelayConfig.defaults());
        assertThat(c.smtp().listen()).isEqualTo(new HostPort("127.0.0.1", 2525));
        assertThat(c.smtp().hostname()).isEqualTo("relay.local");
        assertThat(c.smtp().maxMessageSize()).isEqualTo(31457280L);
        assertThat(c.smtp().maxRecipients()).isEqualTo(100);
        assertThat(c.smtp().commandTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.smtp().dataTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.smtp().maxBytesInFlight()).isEqualTo(256L << 20);
        assertThat(c.smtp().relayNetworks()).extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
        assertThat(c.smtp().tls()).isNull();
        assertThat(c.smtp().auth()).isEqualTo(new AuthConfig(null, true));
        assertThat(c.http().listen()).isEqualTo(new HostPort("127.0.0.1", 8025));
        assertThat(c.database()).isEqualTo(new DatabaseConfig(null, 20, 1, 100, Duration.ofMillis(2)));
        assertThat(c.delivery().routes()).isEmpty();
        assertThat(c.dataDirectory()).isEqualTo(Path.of("data"));
    }

    @Test
    void exampleFileLoadsAndEqualsDefaults() {
        Path example = Path.of("..", "relay.example.yaml");
        if (!Files.exists(example)) {
            example = Path.of("relay.example.yaml");
        }
        RelayConfig c = RelayConfig.load(example, Map.of());
        assertThat(c.smtp()).isEqualTo(SmtpConfig.defaults());
        assertThat(c.http()).isEqualTo(HttpConfig.defaults());
        assertThat(c.database()).isEqualTo(DatabaseConfig.defaults());
        assertThat(c.delivery()).isEqualTo(DeliveryConfig.defaults());
        assertThat(c.dataDirectory()).isEqualTo(Path.of("./data"));
        assertThat(c.log()).isEqualTo(LogConfig.defaults());
        assertThat(c.bounces()).isEqualTo(BouncesConfig.defaults());
        assertThat(c.suppression()).isEqualTo(SuppressionConfig.defaults());
        assertThat(c.events()).isEqualTo(EventsConfig.defaults());
        assertThat(c.systems()).isEqualTo(SystemsConfig.defaults());
        assertThat(c.dkim()).isEqualTo(DkimConfig.defaults());
        assertThat(c.webhooks()).isEqualTo(WebhooksConfig.defaults());
        assertThat(c.metrics()).isEqualTo(MetricsConfig.defaults());
    }

    @Test
    void maxSendersIsReadAndValidated() throws IOException {
        assertThat(load("metrics:\n  max_senders: 3\n").metrics().maxSenders()).isEqualTo(3);
        ConfigException e = configError(() -> run("metrics:\n  max_senders: -1\n"));
        assertThat(e.key()).isEqualTo("metrics.max_senders");
        assertThat(e.reason()).contains("between 0 and 1000");
    }

    @Test
    void webhookKeysAreReadAndValidatedNamingTheKey() throws IOException {
        WebhooksConfig w = load("webhooks:\n  batch_size: 10\n  backoff_base: 1s\n  backoff_cap: 5s\n"
                + "  max_age: 1h\n  timeout: 2s\n").webhooks();
        assertThat(w.batchSize()).isEqualTo(10);
        assertThat(w.backoffCap()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(w.lease()).isEqualTo(java.time.Duration.ofSeconds(9));
        ConfigException cap = configError(() -> run("webhooks:\n  backoff_base: 1m\n  backoff_cap: 10s\n"));
        assertThat(cap.key()).isEqualTo("webhooks.backoff_cap");
        assertThat(cap.reason()).contains("webhooks.backoff_base");
        assertThat(configError(() -> run("webhooks:\n  batch_size: 0\n")).key()).isEqualTo("webhooks.batch_size");
        ConfigException age = configError(() -> run("webhooks:\n  max_age: 90d\n"));
        assertThat(age.key()).isEqualTo("webhooks.max_age");
        assertThat(age.reason()).contains("dead-lettered");
        assertThat(configError(() -> run("webhooks:\n  max_in_flight: 100\n")).key())
                .isEqualTo("webhooks.max_in_flight");
        assertThat(configError(() -> run("webhooks:\n  nonsense: 1\n")).key()).isEqualTo("webhooks.nonsense");
    }

    @Test
    void systemsRefreshIntervalIsBounded() throws IOException {
        assertThat(load("systems:\n  refresh_interval: 2s\n").systems().refreshInterval())
                .isEqualTo(java.time.Duration.ofSeconds(2));
        ConfigException e = configError(() -> run("systems:\n  refresh_interval: 10m\n"));
        assertThat(e.key()).isEqualTo("systems.refresh_interval");
        assertThat(e.reason()).contains("between 100ms and 5m");
        assertThat(configError(() -> run("systems:\n  refresh_interval: 50ms\n")).key())
                .isEqualTo("systems.refresh_interval");
        assertThat(configError(() -> run("systems:\n  refresh: 5s\n")).key()).startsWith("systems.");
    }

    @Test
    void suppressionKeysAreReadAndValidated() throws IOException {
        SuppressionConfig s = load("suppression:\n  cache_ttl: 5s\n  soft_bounce_limit: 3\n"
                + "  soft_bounce_window: 2d\n").suppression();
        assertThat(s.cacheTtl()).isEqualTo(java.time.Duration.ofSeconds(5));
        assertThat(s.softBounceLimit()).isEqualTo(3);
        assertThat(s.softBounceWindow()).isEqualTo(java.time.Duration.ofDays(2));
        assertThat(s.mode()).isEqualTo(SuppressionConfig.Mode.REFUSE);
        assertThat(load("suppression:\n  mode: accept_and_record\n").suppression().mode())
                .isEqualTo(SuppressionConfig.Mode.ACCEPT_AND_RECORD);
        ConfigException drop = configError(() -> run("suppression:\n  mode: accept_and_drop\n"));
        assertThat(drop.key()).isEqualTo("suppression.mode");
        assertThat(drop.getMessage()).contains("accept_and_drop").contains("refuse or accept_and_record");
        ConfigException ttl = configError(() -> run("suppression:\n  cache_ttl: 0s\n"));
        assertThat(ttl.key()).isEqualTo("suppression.cache_ttl");
        ConfigException limit = configError(() -> run("suppression:\n  soft_bounce_limit: 0\n"));
        assertThat(limit.key()).isEqualTo("suppression.soft_bounce_limit");
        assertThat(configError(() -> run("suppression:\n  cache_tll: 5s\n")).key())
                .isEqualTo("suppression.cache_tll");
    }

    @Test
    void dkimKeysAreReadAndValidated() throws IOException {
        DkimConfig d = load("dkim:\n  key_file: dkim.key\n  refresh_interval: 2s\n  missing_key: send_unsigned\n")
                .dkim();
        assertThat(d.keyFile()).isNotNull();
        assertThat(d.keyFile().getFileName().toString()).isEqualTo("dkim.key");
        assertThat(d.keyFile().isAbsolute()).isTrue();
        assertThat(d.refreshInterval()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(d.missingKey()).isEqualTo(DkimConfig.MissingKey.SEND_UNSIGNED);
        assertThat(RelayConfig.defaults().dkim().missingKey()).isEqualTo(DkimConfig.MissingKey.REFUSE);
        assertThat(RelayConfig.defaults().dkim().keyFile()).isNull();
        ConfigException policy = configError(() -> run("dkim:\n  missing_key: sign\n"));
        assertThat(policy.key()).isEqualTo("dkim.missing_key");
        assertThat(policy.getMessage()).contains("sign").contains("refuse or send_unsigned");
        ConfigException refresh = configError(() -> run("dkim:\n  refresh_interval: 1h\n"));
        assertThat(refresh.key()).isEqualTo("dkim.refresh_interval");
        assertThat(refresh.getMessage()).contains("between 1s and 10m");
        assertThat(configError(() -> run("dkim:\n  key_file: \"\"\n")).key()).isEqualTo("dkim.key_file");
        assertThat(configError(() -> run("dkim:\n  keyfile: x\n")).key()).isEqualTo("dkim.keyfile");
    }

    @Test
    void verpKeysAreReadAndValidated() throws IOException {
        VerpConfig off = load("bounces:\n  rules: r.yaml\n").bounces().verp();
        assertThat(off).isEqualTo(VerpConfig.defaults());
        assertThat(off.enabled()).isFalse();
        VerpConfig on = load("bounces:\n  verp:\n    enabled: true\n    domain: bounces.example.com\n"
                + "    secret_file: verp.key\n    prefix: bb-\n    key_id: 3\n    max_age: 7d\n"
                + "    max_report_size: 64KiB\n").bounces().verp();
        assertThat(on.enabled()).isTrue();
        assertThat(on.domain()).isEqualTo("bounces.example.com");
        assertThat(on.secretFile()).isNotNull();
        assertThat(on.secretFile().getFileName().toString()).isEqualTo("verp.key");
        assertThat(on.prefix()).isEqualTo("bb-");
        assertThat(on.keyId()).isEqualTo(3);
        assertThat(on.maxAge()).isEqualTo(java.time.Duration.ofDays(7));
        assertThat(on.maxReportSize()).isEqualTo(64 * 1024);
        ConfigException noDomain = configError(() -> run("bounces:\n  verp:\n    enabled: true\n"
                + "    secret_file: k\n"));
        assertThat(noDomain.key()).isEqualTo("bounces.verp.domain");
        assertThat(noDomain.reason()).contains("required when bounces.verp.enabled is true");
        ConfigException noSecret = configError(() -> run("bounces:\n  verp:\n    enabled: true\n"
                + "    domain: b.example\n"));
        assertThat(noSecret.key()).isEqualTo("bounces.verp.secret_file");
        assertThat(configError(() -> run("bounces:\n  verp:\n    domain: 'not a domain'\n")).key())
                .isEqualTo("bounces.verp.domain");
        ConfigException prefix = configError(() -> run("bounces:\n  verp:\n    prefix: 'a b'\n"));
        assertThat(prefix.key()).isEqualTo("bounces.verp.prefix");
        assertThat(prefix.value()).isEqualTo("a b");
        assertThat(configError(() -> run("bounces:\n  verp:\n    prefix: abcdefghijkl\n")).key())
                .isEqualTo("bounces.verp.prefix");
        assertThat(configError(() -> run("bounces:\n  verp:\n    key_id: 32\n")).key())
                .isEqualTo("bounces.verp.key_id");
        assertThat(configError(() -> run("bounces:\n  verp:\n    max_age: 0s\n")).key())
                .isEqualTo("bounces.verp.max_age");
        assertThat(configError(() -> run("bounces:\n  verp:\n    max_report_size: 5MiB\n")).key())
                .isEqualTo("bounces.verp.max_report_size");
        assertThat(configError(() -> run("bounces:\n  verp:\n    enable: true\n")).key())
                .isEqualTo("bounces.verp.enable");
    }

    @Test
    void eventRetentionIsReadAndCheckedAgainstItsRollups() {
        ConfigException shortRollups = configError(() -> run("events:\n  retention: 60d\n  rollup_retention: 30d\n"));
        assertThat(shortRollups.key()).isEqualTo("events.rollup_retention");
        assertThat(shortRollups.reason()).contains("at least events.retention");
        assertThat(configError(() -> run("events:\n  retention: 2h\n")).key()).isEqualTo("events.retention");
        assertThat(configError(() -> run("events:\n  partitions_ahead: 0\n")).key())
                .isEqualTo("events.partitions_ahead");
        assertThat(configError(() -> run("events:\n  maintenance_interval: 10s\n")).key())
                .isEqualTo("events.maintenance_interval");
        assertThat(configError(() -> run("events:\n  retain: 5d\n")).key()).startsWith("events.");
        assertThat(configError(() -> run("events:\n  minute_rollup_retention: 30m\n")).key())
                .isEqualTo("events.minute_rollup_retention");
        assertThat(configError(() -> run("events:\n  minute_rollup_retention: 60d\n")).reason())
                .contains("between 1h and 31d");
    }

    @Test
    void bounceRulesFileIsReadRelativeToTheConfigFile() throws IOException {
        assertThat(RelayConfig.defaults().bounces().rulesFile()).isNull();
        Path rules = load("bounces:\n  rules: my-rules.yaml\n").bounces().rulesFile();
        assertThat(rules).isEqualTo(dir.resolve("my-rules.yaml").toAbsolutePath());
        assertThat(RelayConfig.load(null, Map.of("RELAY_BOUNCES__RULES", "/etc/relay/rules.yaml")).bounces()
                .rulesFile()).isEqualTo(Path.of("/etc/relay/rules.yaml"));
        ConfigException empty = configError(() -> run("bounces:\n  rules: ''\n"));
        assertThat(empty.key()).isEqualTo("bounces.rules");
        assertThat(empty.reason()).contains("must not be empty");
        ConfigException unknown = configError(() -> run("bounces:\n  rule: x.yaml\n"));
        assertThat(unknown.key()).isEqualTo("bounces.rule");
    }

    @Test
    void logFormat() throws IOException {
        assertThat(RelayConfig.defaults().log().format()).isEqualTo(LogConfig.Format.TEXT);
        assertThat(load("log:\n  format: JSON\n").log().format()).isEqualTo(LogConfig.Format.JSON);
        assertThat(RelayConfig.load(null, Map.of("RELAY_LOG__FORMAT", "json")).log().format())
                .isEqualTo(LogConfig.Format.JSON);
        ConfigException e = configError(() -> run("log:\n  format: xml\n"));
        assertThat(e.key()).isEqualTo("log.format");
        assertThat(e.value()).isEqualTo("xml");
        assertThat(e.reason()).contains("text or json");
    }

    @Test
    void fullFileIsRead() throws IOException {
        RelayConfig c = load("""
                data_dir: /var/lib/relay
                smtp:
                  listen: "[::1]:25"
                  hostname: mx.example.com
                  max_message_size: 10KB
                  max_recipients: 5
                  max_connections: 7
                  command_timeout: PT1M
                  data_timeout: 500ms
                  max_auth_failures: 1
                  max_errors: 2
                  max_bytes_in_flight: 1GiB
                  shutdown_grace: 0s
                  relay_networks: [10.0.0.0/8, "2001:db8::/32"]
                  tls: { certificate: certs/cert.pem, private_key: /abs/key.pem }
                  auth: { users_file: users.yaml, require_tls: false }
                http:
                  listen: 0.0.0.0:0
                database:
                  url: r2dbc:postgresql://db/relay
                  pool_size: 4
                  committers: 4
                  commit_interval: 5ms
                  max_batch: 10
                delivery:
                  routes: { example.test: "127.0.0.1:2526", "*": "smarthost:25" }
                """);
        SmtpConfig s = c.smtp();
        assertThat(s.listen()).isEqualTo(new HostPort("::1", 25));
        assertThat(s.maxMessageSize()).isEqualTo(10240);
        assertThat(s.maxBytesInFlight()).isEqualTo(1L << 30);
        assertThat(s.commandTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.dataTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.shutdownGrace()).isZero();
        assertThat(s.tls()).isEqualTo(new TlsFiles(dir.resolve("certs/cert.pem"), Path.of("/abs/key.pem")));
        assertThat(s.auth()).isEqualTo(new AuthConfig(dir.resolve("users.yaml"), false));
        assertThat(c.http().listen().port()).isZero();
        assertThat(c.database()).isEqualTo(new DatabaseConfig("r2dbc:postgresql://db/relay", 4, 4, 10, Duration.ofMillis(5)));
        assertThat(c.delivery().routes()).containsExactly(
                Map.entry("example.test", RouteTarget.parse("127.0.0.1:2526")), Map.entry("*", RouteTarget.parse("smarthost:25")));
        assertThat(c.dataDirectory()).isEqualTo(Path.of("/var/lib/relay"));
    }

    @Test
    void emptyFileMeansDefaults() throws IOException {
        assertThat(load("")).isEqualTo(RelayConfig.defaults());
        assertThat(load("# only a comment\n")).isEqualTo(RelayConfig.defaults());
    }

    @Test
    void unknownKeyIsNamedWithValidKeys() {
        ConfigException e = configError(() -> run("smtp:\n  max_mesage_size: 10MB\n"));
        assertThat(e.key()).isEqualTo("smtp.max_mesage_size");
        assertThat(e.value()).isEqualTo("10MB");
        assertThat(e.reason()).contains("unknown key").contains("max_message_size");
        assertThat(e.getMessage()).startsWith("relay.yaml: smtp.max_mesage_size = 10MB: unknown key");
        assertThat(configError(() -> run("smpt: {}\n")).key()).isEqualTo("smpt");
        assertThat(configError(() -> run("smtp:\n  tls: {certificate: a, private_key: b, pass: c}\n")).key())
                .isEqualTo("smtp.tls.pass");
    }

    @Test
    void badSize() {
        ConfigException e = configError(() -> run("smtp:\n  max_message_size: 30 megs\n"));
        assertThat(e.key()).isEqualTo("smtp.max_message_size");
        assertThat(e.value()).isEqualTo("30 megs");
        assertThat(configError(() -> run("smtp:\n  max_message_size: -1\n")).key()).isEqualTo("smtp.max_message_size");
        assertThat(configError(() -> run("smtp:\n  max_message_size: 0\n")).reason()).contains("between");
        assertThat(configError(() -> run("smtp:\n  max_message_size: 500MB\n  max_bytes_in_flight: 1MB\n")).key())
                .isEqualTo("smtp.max_bytes_in_flight");
    }

    /** A body the database cannot hold in one value must not get a SIZE promise (PostgreSQL: under 1 GB). */
    @Test
    void messageSizeStopsBelowWhatTheDatabaseHoldsInOneValue() throws IOException {
        ConfigException e = configError(() -> run("smtp:\n  max_message_size: 1GB\n  max_bytes_in_flight: 2GB\n"));
        assertThat(e.key()).isEqualTo("smtp.max_message_size");
        assertThat(e.reason()).contains("between 1 and 1048576000").contains("under 1 GB");
        assertThat(load("smtp:\n  max_message_size: 1000MB\n  max_bytes_in_flight: 1000MB\n").smtp()
                .maxMessageSize()).isEqualTo(1000L << 20);
    }

    @Test
    void badDuration() {
        ConfigException e = configError(() -> run("smtp:\n  command_timeout: 5 minutes\n"));
        assertThat(e.key()).isEqualTo("smtp.command_timeout");
        assertThat(e.reason()).contains("duration");
        assertThat(configError(() -> run("smtp:\n  data_timeout: 0s\n")).key()).isEqualTo("smtp.data_timeout");
        assertThat(configError(() -> run("smtp:\n  data_timeout: 30\n")).key()).isEqualTo("smtp.data_timeout");
    }

    @Test
    void badCidr() {
        ConfigException e = configError(() -> run("smtp:\n  relay_networks: [10.0.0.0/8, 10.0.0.0/33]\n"));
        assertThat(e.key()).isEqualTo("smtp.relay_networks[1]");
        assertThat(e.value()).isEqualTo("10.0.0.0/33");
        assertThat(configError(() -> run("smtp:\n  relay_networks: [example.com/24]\n")).reason())
                .contains("not an IP address");
    }

    @Test
    void badPortAndHostPort() {
        ConfigException e = configError(() -> run("smtp:\n  listen: 127.0.0.1:70000\n"));
        assertThat(e.key()).isEqualTo("smtp.listen");
        assertThat(e.reason()).contains("65535");
        assertThat(configError(() -> run("http:\n  listen: localhost\n")).key()).isEqualTo("http.listen");
        assertThat(configError(() -> run("delivery:\n  routes: {a.test: \"x:y\"}\n")).key())
                .isEqualTo("delivery.routes.a.test");
    }

    @Test
    void wrongTypes() {
        ConfigException e = configError(() -> run("smtp:\n  max_recipients: lots\n"));
        assertThat(e.key()).isEqualTo("smtp.max_recipients");
        assertThat(e.reason()).contains("integer");
        assertThat(configError(() -> run("smtp:\n  max_recipients: [1]\n")).reason()).contains("list");
        assertThat(configError(() -> run("smtp: 3\n")).reason()).contains("mapping");
        assertThat(configError(() -> run("smtp:\n  auth: {require_tls: maybe}\n")).key()).isEqualTo("smtp.auth.require_tls");
        assertThat(configError(() -> run("smtp:\n  max_recipients: 0\n")).reason()).contains("between 1 and 10000");
        assertThat(configError(() -> run("smtp:\n  tls: {certificate: a.pem}\n")).key()).isEqualTo("smtp.tls.private_key");
        assertThat(configError(() -> run("database:\n  url: postgres://x\n")).key()).isEqualTo("database.url");
        assertThat(configError(() -> run("database:\n  committers: 30\n")).key()).isEqualTo("database.committers");
        // the group commit's own limit, named at load instead of failing the start
        ConfigException batch = configError(() -> run("database:\n  max_batch: 6000\n"));
        assertThat(batch.key()).isEqualTo("database.max_batch");
        assertThat(batch.reason()).contains("between 1 and 5000");
        ConfigException interval = configError(() -> run("database:\n  commit_interval: 1s\n"));
        assertThat(interval.key()).isEqualTo("database.commit_interval");
        assertThat(interval.reason()).contains("between 0ms and 50ms");
        assertThat(configError(() -> run("database:\n  commit_interval: soon\n")).key())
                .isEqualTo("database.commit_interval");
        assertThat(configError(() -> run("smtp:\n  hostname: not a host\n")).key()).isEqualTo("smtp.hostname");
        assertThat(configError(() -> run("data_dir: \"\"\n")).key()).isEqualTo("data_dir");
        assertThat(configError(() -> run("smtp:\n  max_recipients: 1.5\n")).key()).isEqualTo("smtp.max_recipients");
        assertThat(configError(() -> run("smtp:\n  max_connections: 99999999999\n")).key()).isEqualTo("smtp.max_connections");
        assertThat(configError(() -> run("smtp:\n  tls: yes\n")).key()).isEqualTo("smtp.tls");
    }

    @Test
    void unreadableFile() {
        Path missing = dir.resolve("nope.yaml");
        ConfigException e = configError(() -> RelayConfig.load(missing, Map.of()));
        assertThat(e.getMessage()).contains(missing.toString()).contains("no such file");
        ConfigException d = configError(() -> RelayConfig.load(dir, Map.of()));
        assertThat(d.getMessage()).contains(dir.toString());
    }

    @Test
    void invalidYaml() {
        ConfigException e = configError(() -> run("smtp:\n  listen: [unclosed\n"));
        assertThat(e.getMessage()).contains("relay.yaml").contains("invalid YAML");
        assertThat(configError(() -> run("smtp: {}\nsmtp: {}\n")).getMessage()).contains("invalid YAML");
        assertThat(configError(() -> run("- a\n- b\n")).reason()).contains("top level");
    }

    @Test
    void environmentOverrides() throws IOException {
        Path f = write("smtp:\n  max_message_size: 1MB\n");
        RelayConfig c = RelayConfig.load(f, Map.of(
                "RELAY_SMTP__MAX_MESSAGE_SIZE", "10MB",
                "RELAY_DATABASE__URL", "r2dbc:postgresql://h/db",
                "RELAY_DATA_DIR", "/x",
                "RELAY_SMTP__TLS__CERTIFICATE", "c.pem",
                "RELAY_SMTP__TLS__PRIVATE_KEY", "/k.pem",
                "RELAY_SMTP__RELAY_NETWORKS", "10.0.0.0/8, ::1",
                "RELAY_DELIVERY__ROUTES", "a.test=h:25,*=[::1]:2526",
                "RELAY_SMTP__AUTH__REQUIRE_TLS", "false",
                "RELAY_HOME", "/ignored", "RELAY_TEST_DB_URL", "whatever"));
        assertThat(c.smtp().maxMessageSize()).isEqualTo(10L << 20);
        assertThat(c.database().url()).isEqualTo("r2dbc:postgresql://h/db");
        assertThat(c.dataDirectory()).isEqualTo(Path.of("/x"));
        assertThat(c.smtp().tls()).isEqualTo(new TlsFiles(dir.resolve("c.pem"), Path.of("/k.pem")));
        assertThat(c.smtp().relayNetworks()).extracting(Cidr::prefix).containsExactly(8, 128);
        assertThat(c.delivery().routes()).containsEntry("*", RouteTarget.parse("[::1]:2526"));
        assertThat(c.smtp().auth().requireTls()).isFalse();
        assertThat(RelayConfig.load(null, Map.of("RELAY_SMTP__MAX_RECIPIENTS", "7")).smtp().maxRecipients()).isEqualTo(7);
    }

    @Test
    void environmentErrorsNameKeyAndVariable() {
        ConfigException e = configError(() -> RelayConfig.load(null, Map.of("RELAY_SMTP__MAX_MESSAGE_SIZE", "big")));
        assertThat(e.key()).isEqualTo("smtp.max_message_size");
        assertThat(e.reason()).contains("RELAY_SMTP__MAX_MESSAGE_SIZE");
        ConfigException u = configError(() -> RelayConfig.load(null, Map.of("RELAY_SMTP__MAX_MESAGE_SIZE", "1")));
        assertThat(u.key()).isEqualTo("smtp.max_mesage_size");
        assertThat(u.reason()).contains("unknown key").contains("RELAY_SMTP__MAX_MESAGE_SIZE");
        ConfigException n = configError(() -> RelayConfig.load(null, Map.of("RELAY_SMTP__RELAY_NETWORKS", "10/8")));
        assertThat(n.key()).isEqualTo("smtp.relay_networks[0]");
        assertThat(n.reason()).contains("RELAY_SMTP__RELAY_NETWORKS");
        assertThat(configError(() -> RelayConfig.load(null, Map.of("RELAY_DATA_DIR__X", "1"))).reason())
                .contains("RELAY_DATA_DIR__X");
        assertThat(configError(() -> RelayConfig.load(null, Map.of("RELAY_NOPE__X", "1"))).key()).isEqualTo("nope");
    }

    @Test
    void recordsAreImmutable() {
        RelayConfig c = RelayConfig.defaults();
        assertThatThrownBy(() -> c.smtp().relayNetworks().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.delivery().routes().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void priorityHeaderKeys() throws IOException {
        assertThat(RelayConfig.defaults().smtp().priorityHeader())
                .isEqualTo(new PriorityHeaderConfig("X-Relay-Priority", false));
        RelayConfig c = load("smtp:\n  priority_header: {name: X-Mail-Lane, allow_raise: true}\n");
        assertThat(c.smtp().priorityHeader()).isEqualTo(new PriorityHeaderConfig("X-Mail-Lane", true));
        ConfigException e = configError(() -> run("smtp:\n  priority_header: {name: \"X Lane:\"}\n"));
        assertThat(e.key()).isEqualTo("smtp.priority_header.name");
        assertThat(configError(() -> run("smtp:\n  priority_header: {allow_raise: maybe}\n")).key())
                .isEqualTo("smtp.priority_header.allow_raise");
    }

    @Test
    void frontDoorLimitKeys() throws IOException {
        assertThat(RelayConfig.defaults().smtp().maxReceivedHeaders()).isEqualTo(50);
        assertThat(RelayConfig.defaults().smtp().clientLimits())
                .isEqualTo(new ClientLimitsConfig(50, 600, 10, java.time.Duration.ofSeconds(1), 100_000));
        RelayConfig c = load("smtp:\n  max_received_headers: 30\n  client_limits: {max_connections_per_ip: 0,"
                + " max_new_connections_per_ip_per_minute: 60, max_auth_failures_per_ip_per_minute: 3,"
                + " auth_failure_delay: 250ms, tracked_addresses: 1000}\n");
        assertThat(c.smtp().maxReceivedHeaders()).isEqualTo(30);
        assertThat(c.smtp().clientLimits())
                .isEqualTo(new ClientLimitsConfig(0, 60, 3, java.time.Duration.ofMillis(250), 1000));
        ConfigException e = configError(() -> run("smtp:\n  client_limits: {max_connections_per_ip: -1}\n"));
        assertThat(e.key()).isEqualTo("smtp.client_limits.max_connections_per_ip");
        assertThat(e.getMessage()).contains("-1").contains("between 0 and");
        assertThat(configError(() -> run("smtp:\n  client_limits: {auth_failure_delay: 2m}\n")).key())
                .isEqualTo("smtp.client_limits.auth_failure_delay");
        assertThat(configError(() -> run("smtp:\n  max_received_headers: 0\n")).key())
                .isEqualTo("smtp.max_received_headers");
        assertThat(configError(() -> run("smtp:\n  client_limits: {max_conections_per_ip: 1}\n")).key())
                .isEqualTo("smtp.client_limits.max_conections_per_ip");
    }

    @Test
    void deliveryKeysAreRead() throws IOException {
        RelayConfig c = load("""
                delivery:
                  node_name: relay-2
                  routes: {example.test: "127.0.0.1:2526 tls=disabled", "*": "smart.example:587 tls=required verify=true"}
                  dns: {servers: [127.0.0.1, "[::1]:5353"], timeout: 2s, negative_ttl: 1m}
                  sites: [Google.com, example.net]
                  retry: {schedule: [30s, 2m], jitter: 0, greylist_retry: 4m}
                  max_lifetime: 2d
                  window: 500
                  poll_interval: 250ms
                  helo_name: out.example
                  shaping: my-shaping.yaml
                """);
        DeliveryConfig d = c.delivery();
        assertThat(d.nodeName()).isEqualTo("relay-2");
        assertThat(d.routes().get("example.test")).isEqualTo(new RouteTarget(new HostPort("127.0.0.1", 2526),
                TlsMode.DISABLED, false));
        assertThat(d.routes().get("*")).isEqualTo(new RouteTarget(new HostPort("smart.example", 587),
                TlsMode.REQUIRED, true));
        assertThat(d.dns().servers()).containsExactly(new HostPort("127.0.0.1", 53), new HostPort("::1", 5353));
        assertThat(d.siteSuffixes()).containsExactly("google.com", "example.net");
        assertThat(d.retry()).isEqualTo(new RetryConfig(List.of(Duration.ofSeconds(30), Duration.ofMinutes(2)), 0,
                Duration.ofDays(2), Duration.ofMinutes(4)));
        assertThat(RelayConfig.defaults().delivery().retry().greylistRetry()).isEqualTo(Duration.ofMinutes(5));
        ConfigException e = configError(() -> run("delivery:\n  retry: {greylist_retry: 0s}\n"));
        assertThat(e.key()).isEqualTo("delivery.retry.greylist_retry");
        assertThat(d.window()).isEqualTo(500);
        assertThat(d.pollInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(d.heloName()).isEqualTo("out.example");
        // relative to the config file's directory, like the users file
        assertThat(d.shapingFile()).isNotNull();
        assertThat(d.shapingFile().getFileName().toString()).isEqualTo("my-shaping.yaml");
        assertThat(d.shapingFile().isAbsolute()).isTrue();
    }

    @Test
    void badDeliveryValuesNameTheKey() {
        assertThat(configError(() -> run("delivery:\n  routes: {a.test: \"h:25 tls=maybe\"}\n")).key())
                .isEqualTo("delivery.routes.a.test");
        assertThat(configError(() -> run("delivery:\n  routes: {a.test: \"h:25 verify=true tls=disabled\"}\n"))
                .reason()).contains("verify=true needs TLS");
        // per-site settings moved to shaping.yaml: the old key says where they went
        ConfigException moved = configError(() -> run("delivery:\n  defaults: {connection_limit: 3}\n"));
        assertThat(moved.key()).isEqualTo("delivery.defaults");
        assertThat(moved.reason()).contains("shaping.yaml", "delivery.shaping", "default:");
        assertThat(configError(() -> run("delivery:\n  retry: {schedule: []}\n")).key())
                .isEqualTo("delivery.retry.schedule");
        assertThat(configError(() -> run("delivery:\n  retry: {jitter: 2}\n")).key()).isEqualTo("delivery.retry.jitter");
        assertThat(configError(() -> run("delivery:\n  sites: [\"not a suffix\"]\n")).key())
                .isEqualTo("delivery.sites[0]");
        assertThat(configError(() -> run("delivery:\n  node_name: \"two words\"\n")).key())
                .isEqualTo("delivery.node_name");
        assertThat(configError(() -> run("delivery:\n  dns: {servers: [\"ns.example:99999\"]}\n")).key())
                .isEqualTo("delivery.dns.servers[0]");
        assertThat(configError(() -> run("delivery:\n  window: 1\n")).key()).isEqualTo("delivery.window");
    }

    @Test
    void hopLimits() throws IOException {
        assertThat(RelayConfig.defaults().delivery().hopLimits())
                .isEqualTo(new HopLimits(100, 64 * 1024, java.time.Duration.ofMinutes(15)));
        HopLimits set = load("delivery:\n  max_reply_lines: 20\n  max_reply_bytes: 8KB\n"
                + "  transaction_deadline: 90s\n").delivery().hopLimits();
        assertThat(set).isEqualTo(new HopLimits(20, 8 * 1024, java.time.Duration.ofSeconds(90)));
        ConfigException lines = configError(() -> run("delivery:\n  max_reply_lines: 0\n"));
        assertThat(lines.key()).isEqualTo("delivery.max_reply_lines");
        assertThat(lines.getMessage()).contains("= 0", "between 1 and");
        assertThat(configError(() -> run("delivery:\n  max_reply_bytes: 100\n")).key())
                .isEqualTo("delivery.max_reply_bytes");
        assertThat(configError(() -> run("delivery:\n  max_reply_bytes: 1GB\n")).key())
                .isEqualTo("delivery.max_reply_bytes");
        assertThat(configError(() -> run("delivery:\n  transaction_deadline: 0s\n")).key())
                .isEqualTo("delivery.transaction_deadline");
    }

    @Test
    void heartbeatAndStalePeriodAreReadAndValidated() throws IOException {
        DeliveryConfig d = load("delivery:\n  heartbeat: 2s\n  stale_after: 10s\n").delivery();
        assertThat(d.heartbeat()).isEqualTo(java.time.Duration.ofSeconds(2));
        assertThat(d.staleAfter()).isEqualTo(java.time.Duration.ofSeconds(10));
        assertThat(DeliveryConfig.defaults().heartbeat()).isEqualTo(java.time.Duration.ofSeconds(5));
        // a dead node's claims move within stale_after + heartbeat (+ a claim poll): well inside a minute
        assertThat(DeliveryConfig.defaults().staleAfter().plus(DeliveryConfig.defaults().heartbeat()))
                .isLessThanOrEqualTo(java.time.Duration.ofSeconds(30));
        ConfigException tooShort = configError(() -> run("delivery:\n  heartbeat: 5s\n  stale_after: 10s\n"));
        assertThat(tooShort.key()).isEqualTo("delivery.stale_after");
        assertThat(tooShort.reason()).contains("three", "delivery.heartbeat");
        assertThat(configError(() -> run("delivery:\n  heartbeat: 0s\n")).key()).isEqualTo("delivery.heartbeat");
    }

    @Test
    void theDefaultNodeNameIsTheHostNameFromTheOperatingSystem() {
        assertThat(DeliveryConfig.nodeNameOf("mx-1\n", "ignored")).isEqualTo("mx-1");
        assertThat(DeliveryConfig.nodeNameOf(null, "from-env")).isEqualTo("from-env");
        assertThat(DeliveryConfig.nodeNameOf("a".repeat(40) + "." + "b".repeat(40) + ".example", null))
                .isEqualTo("a".repeat(40));
        assertThat(DeliveryConfig.nodeNameOf("", "bad name", null)).isEqualTo("local");
        // not "local" under systemd, where $HOSTNAME is unset
        assertThat(DeliveryConfig.defaults().nodeName()).isNotEqualTo("local");
    }

    private void run(String yaml) {
        try {
            load(yaml);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
