package dev.relay.engine.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The whole {@code relay.yaml}, immutable and validated. Every key, its default and its environment
 * variable is documented in {@code relay.example.yaml} at the repository root. Relative paths of
 * {@code smtp.tls.*}, {@code smtp.auth.users_file}, {@code http.admin_token_file}, {@code delivery.shaping},
 * {@code bounces.rules} and {@code dkim.key_file} resolve against the
 * config file's directory;
 * {@code data_dir} resolves against the working directory.
 */
public record RelayConfig(SmtpConfig smtp, HttpConfig http, DatabaseConfig database, DeliveryConfig delivery,
                          Path dataDirectory, LogConfig log, BouncesConfig bounces, SuppressionConfig suppression,
                          EventsConfig events, SystemsConfig systems, DkimConfig dkim, WebhooksConfig webhooks,
                          MetricsConfig metrics) {

    public static final Path DEFAULT_DATA_DIR = Path.of("data");

    public RelayConfig {
        Objects.requireNonNull(smtp, "smtp");
        Objects.requireNonNull(http, "http");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(delivery, "delivery");
        Objects.requireNonNull(dataDirectory, "data_dir");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(bounces, "bounces");
        Objects.requireNonNull(suppression, "suppression");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(systems, "systems");
        Objects.requireNonNull(dkim, "dkim");
        Objects.requireNonNull(webhooks, "webhooks");
        Objects.requireNonNull(metrics, "metrics");
        if (dataDirectory.toString().isEmpty()) {
            throw new ConfigException("data_dir", "", "must not be empty");
        }
    }

    /** With the default connected-systems, DKIM, webhook and metrics settings. */
    public RelayConfig(SmtpConfig smtp, HttpConfig http, DatabaseConfig database, DeliveryConfig delivery,
                       Path dataDirectory, LogConfig log, BouncesConfig bounces, SuppressionConfig suppression,
                       EventsConfig events) {
        this(smtp, http, database, delivery, dataDirectory, log, bounces, suppression, events,
                SystemsConfig.defaults(), DkimConfig.defaults(), WebhooksConfig.defaults(), MetricsConfig.defaults());
    }

    /** With the default suppression settings and event retention. */
    public RelayConfig(SmtpConfig smtp, HttpConfig http, DatabaseConfig database, DeliveryConfig delivery,
                       Path dataDirectory, LogConfig log, BouncesConfig bounces) {
        this(smtp, http, database, delivery, dataDirectory, log, bounces, SuppressionConfig.defaults(),
                EventsConfig.defaults());
    }

    /** With the default bounce rules. */
    public RelayConfig(SmtpConfig smtp, HttpConfig http, DatabaseConfig database, DeliveryConfig delivery,
                       Path dataDirectory, LogConfig log) {
        this(smtp, http, database, delivery, dataDirectory, log, BouncesConfig.defaults());
    }

    /** With the default log format. */
    public RelayConfig(SmtpConfig smtp, HttpConfig http, DatabaseConfig database, DeliveryConfig delivery,
                       Path dataDirectory) {
        this(smtp, http, database, delivery, dataDirectory, LogConfig.defaults());
    }

    /** Every default: loopback listeners, embedded database, self-signed certificate, no AUTH. */
    public static RelayConfig defaults() {
        return new RelayConfig(SmtpConfig.defaults(), HttpConfig.defaults(), DatabaseConfig.defaults(),
                DeliveryConfig.defaults(), DEFAULT_DATA_DIR);
    }

    /**
     * Reads {@code file} (null: defaults only), applies {@code RELAY_*} overrides from {@code env} and validates.
     *
     * @throws ConfigException naming the file, or the key, value and reason
     */
    public static RelayConfig load(@Nullable Path file, Map<String, String> env) {
        ObjectNode root = file == null ? JsonNodeFactory.instance.objectNode() : readTree(file);
        Map<String, String> origins = EnvOverrides.apply(root, env);
        Path base = file == null ? null : file.toAbsolutePath().getParent();
        try {
            return fromTree(new Section("", root), base);
        } catch (ConfigException e) {
            for (Map.Entry<String, String> o : origins.entrySet()) {
                if (related(e.key(), o.getKey())) {
                    throw e.withNote("(from environment variable " + o.getValue() + ")");
                }
            }
            throw e;
        }
    }

    /** Whether an error on {@code key} may stem from an override of {@code envKey} (same key, parent or child). */
    private static boolean related(String key, String envKey) {
        return key.equals(envKey) || key.startsWith(envKey + ".") || key.startsWith(envKey + "[")
                || envKey.startsWith(key + ".");
    }

    static ObjectNode readTree(Path file) {
        JsonNode tree;
        try (InputStream in = Files.newInputStream(file)) {
            tree = Section.readTree(in);
        } catch (NoSuchFileException e) {
            throw ConfigException.file(file, "no such file", e);
        } catch (AccessDeniedException e) {
            throw ConfigException.file(file, "permission denied", e);
        } catch (JsonProcessingException e) {
            throw ConfigException.file(file, Section.invalidYaml(e), e);
        } catch (IOException e) {
            throw ConfigException.file(file, "cannot read: " + e, e);
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            return JsonNodeFactory.instance.objectNode();
        }
        if (!tree.isObject()) {
            throw ConfigException.file(file, "the top level must be a mapping of keys", null);
        }
        return (ObjectNode) tree;
    }

    private static RelayConfig fromTree(Section root, @Nullable Path base) {
        Path dataDir = root.parsed("data_dir", DEFAULT_DATA_DIR, "a path", Path::of);
        SmtpConfig smtp = smtp(root.section("smtp"), base);
        Section h = root.section("http");
        HttpConfig http = new HttpConfig(h.parsed("listen", HttpConfig.DEFAULT_LISTEN, "host:port", HostPort::parse),
                optionalPath(h, "admin_token_file", base));
        h.finish();
        Section d = root.section("database");
        DatabaseConfig dflt = DatabaseConfig.defaults();
        DatabaseConfig database = new DatabaseConfig(d.optionalString("url"), d.integer("pool_size", dflt.poolSize()),
                d.integer("committers", dflt.committers()), d.integer("max_batch", dflt.maxBatch()),
                d.duration("commit_interval", dflt.commitInterval()));
        d.finish();
        DeliveryConfig delivery = delivery(root.section("delivery"), base);
        Section lg = root.section("log");
        LogConfig log = new LogConfig(lg.parsed("format", LogConfig.Format.TEXT, "text or json", LogConfig.Format::parse));
        lg.finish();
        Section b = root.section("bounces");
        Path rules = optionalPath(b, "rules", base);
        BouncesConfig bounces = new BouncesConfig(rules, verp(b.section("verp"), base));
        b.finish();
        SuppressionConfig suppression = SuppressionConfig.from(root.section("suppression"));
        Section ev = root.section("events");
        EventsConfig ed = EventsConfig.defaults();
        EventsConfig events = new EventsConfig(ev.duration("retention", ed.retention()),
                ev.duration("rollup_retention", ed.rollupRetention()),
                ev.integer("partitions_ahead", ed.partitionsAhead()),
                ev.duration("maintenance_interval", ed.maintenanceInterval()),
                ev.duration("minute_rollup_retention", ed.minuteRollupRetention()));
        ev.finish();
        SystemsConfig systems = SystemsConfig.from(root.section("systems"));
        Section dk = root.section("dkim");
        DkimConfig dkim = DkimConfig.from(dk, optionalPath(dk, "key_file", base));
        WebhooksConfig webhooks = webhooks(root.section("webhooks"));
        Section mt = root.section("metrics");
        MetricsConfig metrics = new MetricsConfig(mt.integer("max_senders", MetricsConfig.defaults().maxSenders()));
        mt.finish();
        root.finish();
        return new RelayConfig(smtp, http, database, delivery, dataDir, log, bounces, suppression, events, systems,
                dkim, webhooks, metrics);
    }

    private static WebhooksConfig webhooks(Section w) {
        WebhooksConfig d = WebhooksConfig.defaults();
        WebhooksConfig webhooks = new WebhooksConfig(w.bool("enabled", d.enabled()),
                w.duration("poll_interval", d.pollInterval()), w.integer("batch_size", d.batchSize()),
                w.duration("timeout", d.timeout()), w.duration("backoff_base", d.backoffBase()),
                w.duration("backoff_cap", d.backoffCap()), w.duration("max_age", d.maxAge()),
                w.integer("max_in_flight", d.maxInFlight()), w.integer("max_endpoint_tags", d.maxEndpointTags()));
        w.finish();
        return webhooks;
    }

    private static DeliveryConfig delivery(Section dl, @Nullable Path base) {
        DeliveryConfig d = DeliveryConfig.defaults();
        boolean enabled = dl.bool("enabled", d.enabled());
        String nodeName = dl.string("node_name", d.nodeName());
        var routes = dl.map("routes", RouteTarget::parse);
        Section dn = dl.section("dns");
        DnsConfig dd = d.dns();
        DnsConfig dns = new DnsConfig(dn.list("servers", dd.servers(), HostPort::parseDns),
                dn.duration("timeout", dd.timeout()), dn.integer("cache_size", dd.cacheSize()),
                dn.duration("min_ttl", dd.minTtl()), dn.duration("max_ttl", dd.maxTtl()),
                dn.duration("negative_ttl", dd.negativeTtl()));
        dn.finish();
        var sites = dl.list("sites", d.siteSuffixes(), s -> s);
        Section r = dl.section("retry");
        RetryConfig rd = d.retry();
        var schedule = r.list("schedule", rd.schedule(), Durations::parse);
        double jitter = r.parsed("jitter", rd.jitter(), "a fraction between 0 and 1", Double::parseDouble);
        var greylistRetry = r.duration("greylist_retry", rd.greylistRetry());
        r.finish();
        RetryConfig retry = new RetryConfig(schedule, jitter, dl.duration("max_lifetime", rd.maxLifetime()),
                greylistRetry);
        int window = dl.integer("window", d.window());
        double share = dl.parsed("site_window_share", d.siteWindowShare(), "a fraction between 0.05 and 1",
                Double::parseDouble);
        var poll = dl.duration("poll_interval", d.pollInterval());
        String helo = dl.optionalString("helo_name");
        if (dl.present("defaults")) {
            // one place of truth: per-site settings live in shaping.yaml, which is also hot-reloaded
            throw new ConfigException(dl.key("defaults"), "...", "per-site settings moved to shaping.yaml: put these"
                    + " fields under the 'default:' entry of the file named by delivery.shaping (see README, Traffic"
                    + " shaping)");
        }
        Path shaping = optionalPath(dl, "shaping", base);
        HopLimits hd = d.hopLimits();
        long replyBytes = dl.size("max_reply_bytes", hd.maxReplyBytes());
        Limits.check(dl.key("max_reply_bytes"), replyBytes, 512, 64L << 20);
        HopLimits hopLimits = new HopLimits(dl.integer("max_reply_lines", hd.maxReplyLines()), (int) replyBytes,
                dl.duration("transaction_deadline", hd.transactionDeadline()));
        var heartbeat = dl.duration("heartbeat", d.heartbeat());
        var staleAfter = dl.duration("stale_after", d.staleAfter());
        dl.finish();
        return new DeliveryConfig(enabled, nodeName, routes, dns, sites, retry, window, share, poll, helo,
                shaping, hopLimits, heartbeat, staleAfter);
    }

    private static SmtpConfig smtp(Section s, @Nullable Path base) {
        SmtpConfig d = SmtpConfig.defaults();
        HostPort listen = s.parsed("listen", d.listen(), "host:port", HostPort::parse);
        String hostname = s.string("hostname", d.hostname());
        long maxMessageSize = s.size("max_message_size", d.maxMessageSize());
        int maxRecipients = s.integer("max_recipients", d.maxRecipients());
        int maxConnections = s.integer("max_connections", d.maxConnections());
        var commandTimeout = s.duration("command_timeout", d.commandTimeout());
        var dataTimeout = s.duration("data_timeout", d.dataTimeout());
        int maxAuthFailures = s.integer("max_auth_failures", d.maxAuthFailures());
        int maxErrors = s.integer("max_errors", d.maxErrors());
        long maxBytesInFlight = s.size("max_bytes_in_flight", d.maxBytesInFlight());
        var shutdownGrace = s.duration("shutdown_grace", d.shutdownGrace());
        var relayNetworks = s.list("relay_networks", d.relayNetworks(), Cidr::parse);
        var proxyProtocolFrom = s.list("proxy_protocol_from", d.proxyProtocolFrom(), Cidr::parse);
        TlsFiles tls = null;
        if (s.present("tls")) {
            Section t = s.section("tls");
            tls = new TlsFiles(requiredPath(t, "certificate", base), requiredPath(t, "private_key", base));
            t.finish();
        }
        Section a = s.section("auth");
        AuthConfig auth = new AuthConfig(optionalPath(a, "users_file", base), a.bool("require_tls", true));
        a.finish();
        Section p = s.section("priority_header");
        PriorityHeaderConfig pd = d.priorityHeader();
        PriorityHeaderConfig priorityHeader = new PriorityHeaderConfig(p.string("name", pd.name()),
                p.bool("allow_raise", pd.allowRaise()));
        p.finish();
        int maxReceivedHeaders = s.integer("max_received_headers", d.maxReceivedHeaders());
        Section c = s.section("client_limits");
        ClientLimitsConfig cd = d.clientLimits();
        ClientLimitsConfig clientLimits = new ClientLimitsConfig(
                c.integer("max_connections_per_ip", cd.maxConnectionsPerIp()),
                c.integer("max_new_connections_per_ip_per_minute", cd.maxNewConnectionsPerIpPerMinute()),
                c.integer("max_auth_failures_per_ip_per_minute", cd.maxAuthFailuresPerIpPerMinute()),
                c.duration("auth_failure_delay", cd.authFailureDelay()),
                c.integer("tracked_addresses", cd.trackedAddresses()));
        c.finish();
        s.finish();
        return new SmtpConfig(listen, hostname, maxMessageSize, maxRecipients, maxConnections, commandTimeout,
                dataTimeout, maxAuthFailures, maxErrors, maxBytesInFlight, shutdownGrace, relayNetworks, proxyProtocolFrom,
                tls, auth, priorityHeader, maxReceivedHeaders, clientLimits);
    }

    private static VerpConfig verp(Section v, @Nullable Path base) {
        VerpConfig d = VerpConfig.defaults();
        VerpConfig c = new VerpConfig(v.bool("enabled", d.enabled()), v.optionalString("domain"),
                v.string("prefix", d.prefix()), optionalPath(v, "secret_file", base), v.integer("key_id", d.keyId()),
                v.duration("max_age", d.maxAge()), v.size("max_report_size", d.maxReportSize()));
        v.finish();
        return c;
    }

    private static Path requiredPath(Section s, String name, @Nullable Path base) {
        Path p = optionalPath(s, name, base);
        if (p == null) {
            throw new ConfigException(s.key(name), null, "required when " + s.key("").replaceAll("\\.$", "")
                    + " is given (a PEM file path)");
        }
        return p;
    }

    private static @Nullable Path optionalPath(Section s, String name, @Nullable Path base) {
        String v = s.optionalString(name);
        if (v == null) {
            return null;
        }
        if (v.isBlank()) {
            throw new ConfigException(s.key(name), v, "must not be empty");
        }
        Path p = Section.convert(s.key(name), v, Path::of);
        return base == null ? p : base.resolve(p);
    }
}
