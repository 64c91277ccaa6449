package dev.relay.engine;

import dev.relay.engine.admin.AdminApi;
import dev.relay.engine.admin.AdminToken;
import dev.relay.engine.admin.QueueService;
import dev.relay.engine.admin.StoredSuspensions;
import dev.relay.engine.admin.SuppressionService;
import dev.relay.engine.admin.SystemsService;
import dev.relay.engine.config.DkimConfig;
import dev.relay.engine.dkim.DkimKeyring;
import dev.relay.engine.dkim.DkimProviders;
import dev.relay.engine.dkim.DkimService;
import dev.relay.engine.dkim.KeySealer;
import dev.relay.engine.dkim.MessageSigning;
import dev.relay.engine.dkim.SystemDomainFallback;
import dev.relay.engine.auth.Authenticator;
import dev.relay.engine.auth.UsersFile;
import dev.relay.engine.identity.SystemDirectory;
import dev.relay.engine.identity.UsersImport;
import dev.relay.storage.PgSystems;
import dev.relay.engine.bounce.DsnBounceSink;
import dev.relay.engine.bounce.DsnBuilder;
import dev.relay.engine.config.ConfigException;
import dev.relay.engine.config.DeliveryConfig;
import dev.relay.engine.config.RelayConfig;
import dev.relay.engine.config.SecureFiles;
import dev.relay.engine.config.SmtpConfig;
import dev.relay.engine.config.VerpConfig;
import dev.relay.engine.delivery.PooledDeliveryClient;
import dev.relay.engine.events.EventMaintenance;
import dev.relay.engine.http.HttpEndpoint;
import dev.relay.engine.intake.BounceAddresses;
import dev.relay.engine.intake.BounceIntake;
import dev.relay.engine.intake.IntakeDoor;
import dev.relay.engine.intake.IntakeMetrics;
import dev.relay.engine.intake.VerpReturnPath;
import dev.relay.engine.metrics.BounceRulesMetrics;
import dev.relay.engine.metrics.DeliveryMetrics;
import dev.relay.engine.metrics.NettyMetrics;
import dev.relay.engine.metrics.PoolMetrics;
import dev.relay.engine.metrics.QueueMetrics;
import dev.relay.engine.metrics.ShapingMetrics;
import dev.relay.engine.metrics.SiteTags;
import dev.relay.engine.metrics.SmtpMetrics;
import dev.relay.engine.metrics.SpoolMetrics;
import dev.relay.engine.metrics.SuppressionMetrics;
import dev.relay.engine.outcomes.BounceSuppression;
import dev.relay.engine.outcomes.EventClasses;
import dev.relay.engine.outcomes.ReloadingBounceRules;
import dev.relay.engine.outcomes.VerpCodec;
import dev.relay.engine.outcomes.VerpKey;
import dev.relay.engine.outcomes.VerpSettings;
import dev.relay.engine.policy.RelayPolicy;
import dev.relay.engine.policy.SuppressionCheck;
import dev.relay.engine.policy.SuppressionFilter;
import dev.relay.engine.policy.SuppressionFilterRefresher;
import dev.relay.engine.queue.DeliveryScheduler;
import dev.relay.engine.queue.HandOffSpool;
import dev.relay.engine.queue.OutcomeFollowUp;
import dev.relay.engine.queue.RetrySchedule;
import dev.relay.engine.queue.ReturnPath;
import dev.relay.engine.queue.SiteSuspensions;
import dev.relay.engine.queue.TimeSource;
import dev.relay.engine.routing.RelayRouter;
import dev.relay.engine.server.ByteBudget;
import dev.relay.engine.server.SmtpServer;
import dev.relay.engine.shaping.ReloadingShaping;
import dev.relay.engine.tls.TlsMaterial;
import dev.relay.protocol.report.BounceReportParser;
import dev.relay.storage.Database;
import dev.relay.storage.DatabaseProbe;
import dev.relay.storage.EmbeddedPostgres;
import dev.relay.storage.EventPartitions;
import dev.relay.storage.EventQueries;
import dev.relay.storage.GroupCommitSettings;
import dev.relay.storage.GroupCommitSpool;
import dev.relay.storage.Migrations;
import dev.relay.storage.PgBounceIntake;
import dev.relay.storage.PgDeliveryStore;
import dev.relay.storage.PgQueueAdmin;
import dev.relay.storage.PgDkimKeys;
import dev.relay.storage.PgSuppressions;
import dev.relay.storage.PgWebhooks;
import dev.relay.engine.metrics.WebhookMetrics;
import dev.relay.engine.metrics.SenderMetrics;
import dev.relay.engine.webhooks.WebhookDispatcher;
import dev.relay.storage.Spool;
import dev.relay.storage.SuppressionRecords.SoftBounceRule;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.r2dbc.pool.ConnectionPool;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/**
 * Wires the relay from its configuration, by constructors, in one place: database (embedded when no URL is
 * configured), migrations, spool, TLS, AUTH, the SMTP listener and the HTTP endpoint. Closing drains SMTP and
 * releases everything in reverse order.
 */
public final class RelayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);
    private static final Duration DATABASE_WAIT = Duration.ofSeconds(30);

    private final RelayConfig config;
    /** The one wall clock of the relay: everything that dates, expires or schedules by the calendar reads it. */
    private final Clock clock = Clock.systemUTC();
    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private @Nullable SmtpServer smtp;
    private @Nullable InetSocketAddress smtpAddress;
    private @Nullable InetSocketAddress httpAddress;
    private Runnable beforeScrape = () -> { };
    private @Nullable RelayRouter router;

    private RelayServer(RelayConfig config) {
        this.config = config;
    }

    /** Starts everything or nothing: a failure part-way closes what was started and rethrows. */
    public static RelayServer start(RelayConfig config) {
        RelayServer relay = new RelayServer(config);
        try {
            relay.startAll();
            return relay;
        } catch (RuntimeException | Error e) {
            relay.close();
            throw e;
        }
    }

    private void startAll() {
        // a bad token file stops the start before anything listens
        if (config.http().adminTokenFile() != null) {
            SecureFiles.requirePrivate(config.http().adminTokenFile(), "http.admin_token_file");
        }
        if (config.smtp().auth().usersFile() != null) {
            SecureFiles.requirePrivate(config.smtp().auth().usersFile(), "smtp.auth.users_file");
        }
        AdminToken adminToken = config.http().adminTokenFile() == null ? null
                : AdminToken.read(config.http().adminTokenFile(), "http.admin_token_file");
        String url = config.database().url();
        if (url == null) {
            EmbeddedPostgres embedded = EmbeddedPostgres.start(config.dataDirectory());
            resources.push(embedded);
            url = embedded.r2dbcUrl();
            log.info("using the embedded PostgreSQL under {}", config.dataDirectory().resolve("postgres"));
        }
        // one event loop per core for everything that does I/O: SMTP sessions, delivery connections and the
        // database driver. A message's steps then mostly stay on the loop they start on (Reactor Netty's client
        // loops are colocated: a connection opened from a loop runs on it) instead of waking a thread of another
        // group at each step: 9-14 % less JVM CPU per message at a fixed 1,000 and 1,600 msg/s (issue 14)
        LoopResources io = LoopResources.create("relay-io", Runtime.getRuntime().availableProcessors(), true);
        // closed last, when nothing runs on it any more: no quiet period (the default 2 s held every stop)
        resources.push(() -> io.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10)));
        ConnectionPool pool = Database.pool(url, config.database().poolSize(), io);
        resources.push(pool::dispose);
        Integer version = Migrations.apply(pool)
                .retryWhen(reactor.util.retry.Retry.fixedDelay(DATABASE_WAIT.toSeconds(), Duration.ofSeconds(1))
                        .doBeforeRetry(s -> log.warn("database not reachable yet: {}", s.failure().toString())))
                .block(DATABASE_WAIT.plusSeconds(10));
        log.info("database schema at version {}", version);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // the same name the node claims recipients under, so metrics and queue rows name a node alike
        registry.config().commonTags("node", config.delivery().nodeName());
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        resources.push(gcMetrics);
        JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();
        heapPressure.bindTo(registry);
        resources.push(heapPressure);
        new FileDescriptorMetrics().bindTo(registry);
        NettyMetrics.bindAllocator(registry, ByteBufAllocator.DEFAULT);

        SenderMetrics senderMetrics = new SenderMetrics(registry, config.metrics().maxSenders());
        GroupCommitSpool spool = new GroupCommitSpool(pool, new GroupCommitSettings(config.database().committers(),
                config.database().maxBatch(), 10_000, config.database().commitInterval()), new SpoolMetrics(registry));
        resources.push(spool);

        SmtpConfig smtpConfig = config.smtp();
        Spool frontDoorSpool = spool;
        PgQueueAdmin queueAdmin = new PgQueueAdmin(pool);
        StoredSuspensions suspensions = new StoredSuspensions(queueAdmin, clock)
                .start(Schedulers.parallel());
        resources.push(suspensions);
        resources.push(EventMaintenance.start(new EventPartitions(pool, clock, new EventPartitions.Settings(
                config.events().retention(), config.events().rollupRetention(), config.events().partitionsAhead(),
                config.events().minuteRollupRetention())),
                config.events().maintenanceInterval(), Schedulers.parallel()));
        java.util.function.Consumer<String> localResume = site -> { };
        // loaded at start so an invalid bounces.rules stops it (exit 2) and its reloads are watched and counted; the
        // write-back classifies bounces and deferrals with it to feed the suppression list
        ReloadingBounceRules bounceRules = new ReloadingBounceRules(config.bounces().rulesFile(),
                ReloadingBounceRules.DEFAULT_PERIOD);
        resources.push(bounceRules);
        BounceRulesMetrics.bind(registry, bounceRules);
        log.info("bounce rules: {} ({})", config.bounces().rulesFile() == null ? "shipped only"
                : config.bounces().rulesFile(), bounceRules.current().summary());
        PgSuppressions suppressionList = new PgSuppressions(pool);
        // the filter is trusted for one cache_ttl after its last read began: another node's addition is refused
        // within cache_ttl, as the cache promises
        SuppressionFilter suppressionFilter = new SuppressionFilter(config.suppression().cacheTtl(), System::nanoTime);
        SuppressionCheck suppression = new SuppressionCheck(suppressionList::lookup,
                r -> suppressionList.recordSuppressed(r.message(), r.sender(), r.addresses(), r.replies(),
                        r.withAccepted(), r.clientMessageId()).then(),
                config.suppression(), com.github.benmanes.caffeine.cache.Ticker.systemTicker(), suppressionFilter);
        SuppressionFilterRefresher suppressionRefresher = new SuppressionFilterRefresher(suppressionFilter,
                SuppressionFilterRefresher.Source.of(suppressionList),
                SuppressionFilterRefresher.Settings.forCacheTtl(config.suppression().cacheTtl()))
                .start(Schedulers.parallel());
        resources.push(suppressionRefresher::dispose);
        SuppressionMetrics.bind(registry, suppression, suppressionFilter, suppressionRefresher);
        BounceSuppression suppressDead = BounceSuppression.on(bounceRules, suppressionList, new SoftBounceRule(
                config.suppression().softBounceLimit(), config.suppression().softBounceWindow()),
                suppression::invalidate);
        VerpCodec verp = verpCodec(config.bounces().verp(), clock);
        IntakeDoor intakeDoor = IntakeDoor.NONE;
        if (verp != null) {
            // parsing is CPU work on untrusted input: a small pool of its own, never an event loop
            Scheduler parsing = Schedulers.newBoundedElastic(2, 256, "relay-bounce-intake");
            resources.push(parsing::dispose);
            IntakeMetrics intakeMetrics = new IntakeMetrics(registry);
            intakeDoor = new IntakeDoor(new BounceAddresses(verp, intakeMetrics),
                    new BounceIntake(new BounceReportParser(), bounceRules, new PgBounceIntake(pool), suppressDead,
                            suppressionList, suppression::invalidate, intakeMetrics, parsing),
                    config.bounces().verp().maxReportSize());
            log.info("VERP {}: return paths {}<token>@{}, bounces taken on the SMTP listener",
                    config.bounces().verp().enabled() ? "on (systems may turn it off)"
                            : "off by default (systems may turn it on)", verp.settings().prefix(),
                    verp.settings().domain());
        }
        // before delivery: the VERP decision reads each message's system from it
        PgSystems systems = new PgSystems(pool);
        SystemDirectory directory = startSystems(systems, registry);
        if (config.delivery().enabled()) {
            // the write-back's failed outcomes get their category and class on their events right after it
            OutcomeFollowUp followUps = EventClasses.both(new EventClasses(bounceRules, new PgBounceIntake(pool), clock),
                    suppressDead);
            DeliveryScheduler scheduler = startDelivery(pool, io, spool, registry, suspensions, followUps,
                    verp == null ? ReturnPath.ORIGINAL : new VerpReturnPath(verp, config.bounces().verp().enabled(),
                            directory::current), senderMetrics);
            frontDoorSpool = new HandOffSpool(spool, scheduler);
            localResume = scheduler::resume;
        }
        PgWebhooks webhooks = new PgWebhooks(pool);
        if (config.webhooks().enabled()) {
            // before the listeners: events written from now on are posted by this node (or another one)
            resources.push(new WebhookDispatcher(config.webhooks(), webhooks, clock,
                    new WebhookMetrics(registry, config.webhooks().maxEndpointTags())).start(Schedulers.parallel()));
        }
        SslContext tls = TlsMaterial.serverContext(smtpConfig.tls(), config.dataDirectory(), smtpConfig.hostname());
        Scheduler hashing = Schedulers.newBoundedElastic(2, 1000, "relay-auth");
        resources.push(hashing::dispose);
        Authenticator authenticator = new Authenticator(directory::current, hashing);
        directory.onRefresh(authenticator::retain);
        ByteBudget budget = new ByteBudget(smtpConfig.maxBytesInFlight());
        DkimSetup dkim = startDkim(pool, directory);
        SmtpServer smtpServer = new SmtpServer(smtpConfig, new RelayPolicy(smtpConfig.relayNetworks()),
                frontDoorSpool, authenticator, tls,
                budget, new SmtpMetrics(registry, budget::used, senderMetrics),
                io.onServer(LoopResources.DEFAULT_NATIVE), clock,
                suppression, dkim.signing(), dkim.scheduler(), intakeDoor);
        resources.push(smtpServer);
        smtp = smtpServer;
        smtpAddress = smtpServer.start();
        NettyMetrics.bindEventLoops(registry, "smtp_accept", smtpServer.acceptLoops());
        NettyMetrics.bindEventLoops(registry, "io", smtpServer.sessionLoops());

        DatabaseProbe databaseProbe = new DatabaseProbe(pool);
        HttpEndpoint http = new HttpEndpoint(
                new InetSocketAddress(config.http().listen().host(), config.http().listen().port()), registry,
                () -> databaseProbe.reachable()
                        .map(database -> new HttpEndpoint.Readiness(database, smtpServer.isListening(),
                                smtpServer.isDraining())), beforeScrape,
                adminApi(adminToken, queueAdmin, suspensions, spool, localResume,
                        new SuppressionService(suppressionList, suppression, clock), new EventQueries(pool),
                        new AdminApi.Sections(new SystemsService(systems, directory), dkim.service(), webhooks,
                                config.webhooks().maxInFlight()),
                        new AdminApi.SystemAccess(authenticator, smtpConfig.clientLimits().authFailureDelay()))
                        ::register);
        resources.push(http);
        NettyMetrics.bindEventLoops(registry, "http", http.eventLoops());
        httpAddress = http.start();
        log.info("relay ready: SMTP {} HTTP {}", smtpAddress, httpAddress);
    }

    private record DkimSetup(MessageSigning signing, Scheduler scheduler, DkimService service) {
    }

    /**
     * DKIM: the key sealer of {@code dkim.key_file} (checked before anything listens), the providers chosen by the
     * benchmark, the key snapshot read once now (so the first message after a start is signed) and refreshed on a
     * timer, a bounded parallel scheduler for the signing CPU work, off the event loops, and the systems' fallback
     * domains (dkim_sign_as_system_domain) read from the connected-systems snapshot in force.
     */
    private DkimSetup startDkim(ConnectionPool pool, SystemDirectory directory) {
        DkimConfig dc = config.dkim();
        KeySealer sealer = null;
        if (dc.keyFile() == null) {
            log.warn("dkim.key_file is not set: DKIM private keys are stored in the database unencrypted");
        } else {
            sealer = KeySealer.read(dc.keyFile(), "dkim.key_file");
        }
        DkimProviders providers = DkimProviders.choose();
        PgDkimKeys keys = new PgDkimKeys(pool);
        DkimKeyring keyring = new DkimKeyring(keys::current, sealer, providers);
        Integer loaded = keyring.refresh().block(DATABASE_WAIT);
        log.info("DKIM: {} signing key(s) loaded, refreshed every {}", loaded, dc.refreshInterval());
        keyring.start(dc.refreshInterval(), Schedulers.parallel());
        resources.push(keyring);
        Scheduler signing = Schedulers.newParallel("relay-dkim", Runtime.getRuntime().availableProcessors());
        resources.push(signing::dispose);
        return new DkimSetup(new MessageSigning(keyring, dc.missingKey(),
                new SystemDomainFallback(directory::current, keyring, clock)),
                signing, new DkimService(keys, sealer, clock, keyring::refresh));
    }

    /**
     * The connected systems: the users file imported first when {@code smtp.auth.users_file} names one (idempotent,
     * each user logged), then the first snapshot read (the start fails without it) and its periodic refresh.
     */
    private SystemDirectory startSystems(PgSystems systems, PrometheusMeterRegistry registry) {
        java.nio.file.Path usersFile = config.smtp().auth().usersFile();
        if (usersFile != null) {
            var users = UsersFile.read(usersFile).values();
            UsersImport.run(systems, users)
                    .doOnNext(i -> log.info("users file {}: {}", usersFile, UsersImport.describe(i)))
                    .then().block(DATABASE_WAIT);
            log.info("users file {} imported ({} users); manage systems with `relay system ...` from now on",
                    usersFile, users.size());
        }
        SystemDirectory directory = new SystemDirectory(systems::snapshot, config.systems().refreshInterval(),
                Schedulers.parallel(), registry, System::nanoTime);
        directory.refresh().block(DATABASE_WAIT);
        log.info("connected systems: {} system(s), {} credential(s) in force, refreshed every {}",
                directory.current().systems(), directory.current().logins(), config.systems().refreshInterval());
        resources.push(directory.start());
        return directory;
    }

    /**
     * The VERP codec {@code bounces.verp} asks for, its secret read now; null without a bounce domain and secret.
     * With them it exists even when {@code enabled} is false: systems set to {@code --verp on} use it (and the
     * bounce domain takes their bounces); {@code enabled} is only the default for the others.
     */
    static @Nullable VerpCodec verpCodec(VerpConfig c, Clock clock) {
        Path file = c.secretFile();
        String domain = c.domain();
        if (file == null || domain == null) {
            return null;
        }
        SecureFiles.requirePrivate(file, "bounces.verp.secret_file");
        byte[] secret;
        try {
            secret = java.nio.file.Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new ConfigException("bounces.verp.secret_file", file.toString(), "cannot be read: " + e);
        }
        int end = secret.length;
        while (end > 0 && (secret[end - 1] == '\n' || secret[end - 1] == '\r')) {
            end--; // a file written by echo or an editor ends with a line break that is not part of the secret
        }
        if (end < VerpKey.MIN_SECRET_BYTES) {
            throw new ConfigException("bounces.verp.secret_file", file.toString(), "holds " + end
                    + " bytes; a secret needs at least " + VerpKey.MIN_SECRET_BYTES
                    + " (e.g. `head -c 32 /dev/urandom | base64 > FILE`)");
        }
        byte[] key = java.util.Arrays.copyOf(secret, end);
        return new VerpCodec(new VerpSettings(List.of(new VerpKey(c.keyId(), key)), c.keyId(), c.prefix(), domain,
                c.maxAge()), clock);
    }

    /**
     * Delivery: store, router, pooled client, DSNs, scheduler. Resources are pushed so that closing drains the
     * scheduler (after the SMTP listener, before the spool it writes DSNs to) and then closes client and router.
     */
    private DeliveryScheduler startDelivery(ConnectionPool pool, LoopResources io, Spool spool,
                                            PrometheusMeterRegistry registry,
                                            SiteSuspensions suspensions, OutcomeFollowUp followUp,
                                            ReturnPath returnPath, SenderMetrics senderMetrics) {
        DeliveryConfig dc = config.delivery();
        // first, so that an invalid shaping file stops the start before anything connects anywhere
        ReloadingShaping shaping = new ReloadingShaping(dc.shapingFile(), dc.retry().schedule(),
                ReloadingShaping.DEFAULT_PERIOD);
        resources.push(shaping);
        log.info("shaping: {} ({})", dc.shapingFile() == null ? "shipped defaults only" : dc.shapingFile(),
                shaping.current().summary());
        SiteTags siteTags = new SiteTags(dc, () -> shaping.current().mxSuffixes());
        DeliveryMetrics deliveryMetrics = new DeliveryMetrics(registry, siteTags, senderMetrics);
        PgDeliveryStore store = new PgDeliveryStore(pool, dev.relay.storage.DeliveryStoreSettings.DEFAULT,
                deliveryMetrics.recordObserver());
        resources.push(store);
        RelayRouter router = RelayRouter.create(dc, () -> shaping.current().mxSuffixes(),
                dev.relay.engine.routing.SelfAddresses.listeningOn(config.smtp().listen().host()));
        resources.push(router);
        this.router = router;
        CaffeineCacheMetrics.monitor(registry, router.cache().mxCache(), "relay.dns.mx");
        CaffeineCacheMetrics.monitor(registry, router.cache().addressCache(), "relay.dns.address");
        String helo = dc.heloName() != null ? dc.heloName() : config.smtp().hostname();
        PooledDeliveryClient client = new PooledDeliveryClient(helo, io, false, null,
                PooledDeliveryClient.DEFAULT_MAX_WAITING, dc.hopLimits());
        resources.push(client);
        PoolMetrics poolMetrics = new PoolMetrics(registry, client::counts, siteTags);
        DeliveryScheduler scheduler = new DeliveryScheduler(
                new DeliveryScheduler.Settings(dc.nodeName(), dc.window(), dc.siteWindowShare(), dc.pollInterval(),
                        dc.heartbeat(), dc.staleAfter(), Duration.ofMinutes(5)),
                store, router, client, shaping, suspensions, new RetrySchedule(dc.retry()),
                new DsnBounceSink(spool, new DsnBuilder(clock), config.smtp().hostname(), clock),
                deliveryMetrics, TimeSource.system(clock), Schedulers.parallel(), followUp, returnPath);
        shaping.onReload(scheduler::shapingChanged);
        QueueMetrics queueMetrics = new QueueMetrics(registry, scheduler, store, siteTags, clock);
        ShapingMetrics shapingMetrics = new ShapingMetrics(registry, scheduler, shaping, siteTags);
        beforeScrape = () -> {
            poolMetrics.refresh();
            queueMetrics.refresh();
            shapingMetrics.refresh();
        };
        // up to stale_after more: a restart after a crash waits until its own last heartbeat is stale
        Long released = scheduler.start().block(DATABASE_WAIT.plus(dc.staleAfter()));
        resources.push(() -> scheduler.drain(config.smtp().shutdownGrace()));
        log.info("delivery started as node {} ({} recipients returned from a previous run)", dc.nodeName(), released);
        return scheduler;
    }

    /** The admin API: disabled (404) without {@code http.admin_token_file}. */
    private AdminApi adminApi(@Nullable AdminToken token, PgQueueAdmin queueAdmin, StoredSuspensions suspensions,
                              Spool spool, java.util.function.Consumer<String> localResume,
                              SuppressionService suppressionService, EventQueries events,
                              AdminApi.Sections sections, AdminApi.SystemAccess systemAccess) {
        if (token == null) {
            log.info("admin API disabled (no http.admin_token_file)");
            return new AdminApi(null, null);
        }
        return new AdminApi(token, new QueueService(queueAdmin, suspensions,
                new DsnBounceSink(spool, new DsnBuilder(clock), config.smtp().hostname(), clock), router,
                clock, localResume), suppressionService, events, clock, sections, systemAccess);
    }

    public InetSocketAddress smtpAddress() {
        return java.util.Objects.requireNonNull(smtpAddress, "not started");
    }

    public InetSocketAddress httpAddress() {
        return java.util.Objects.requireNonNull(httpAddress, "not started");
    }

    @Override
    public synchronized void close() {
        SmtpServer smtpServer = smtp;
        if (smtpServer != null) {
            log.info("draining SMTP sessions (up to {})", config.smtp().shutdownGrace());
            smtpServer.drain(config.smtp().shutdownGrace());
        }
        while (!resources.isEmpty()) {
            AutoCloseable resource = resources.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("while stopping: {}", e.toString());
            }
        }
    }
}
