package dev.relay.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL 17 server run from the zonky binaries under {@code dataDir/postgres}: unpacked once,
 * {@code initdb} once (scram-sha-256, user {@code relay}, random hex password in {@code password}),
 * listening on 127.0.0.1 only on a persisted port. A running server left by another JVM is reused.
 * As root the server runs as the system account {@code relay-postgres} (or {@code nobody}).
 * Blocking; call it at startup, never on an event loop.
 */
public final class EmbeddedPostgres implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgres.class);
    static final String ACCOUNT = "relay-postgres";
    private static final long LOCK_WAIT_MILLIS = 60_000;
    /**
     * Server settings for the relay's workload: many small commits (group commits of accepted messages, batched
     * write-backs) that insert and delete 2-100 KiB rows at a high rate. Durability stays whole (fsync and
     * synchronous_commit on: a 250 means on disk). The WAL settings only make that cheaper: a larger WAL buffer
     * (the default, 1/32 of shared_buffers = 4 MB, fills within one busy group commit and forces writes mid
     * transaction), and checkpoints by time every 15 minutes rather than every few seconds by volume (each
     * checkpoint makes the next change of every page write a full page image). WAL compression stays off: these
     * binaries offer only pglz for it (no lz4), whose CPU cost lands on the busiest resource of a small relay, and
     * with checkpoints this far apart full page images are a small share of the WAL. New WAL segments are not
     * zero-filled ({@code wal_init_zero=off}): until checkpoints recycle old segments, every 16 MB of WAL needs a
     * new segment file, and zero-filling it (16 MB written and fsynced while holding the WAL write lock) stalled
     * every commit for 100-250 ms every few seconds under load (issue 14, benchmarks/RESULTS.md); without it the
     * file is created at its size and blocks are allocated as WAL is written, which the commit's fdatasync covers.
     * The queue tables are vacuumed by a fixed number of dead rows (V13), which autovacuum looks at every second
     * rather than every minute: a minute at 1,000 msg/s is 60,000 dead rows in tables holding a few hundred live
     * ones. Random reads are costed as what they are here, reads of cached pages ({@code random_page_cost=1.1},
     * the usual value for SSDs), so the write-back's lookups by key stay index probes rather than scans of a queue
     * table whose statistics say it is nearly empty (issue 14: 627 pages read per write-back with the default 4).
     */
    static final List<String> SETTINGS = List.of("fsync=on", "synchronous_commit=on", "max_connections=100",
            "wal_buffers=16MB", "max_wal_size=4GB", "checkpoint_timeout=15min", "wal_compression=off",
            "wal_init_zero=off", "autovacuum_naptime=1s", "random_page_cost=1.1");

    private final Path pgDir;
    private final Path install;
    private final Commands commands;
    private final String password;
    private final int port;
    private final boolean startedHere;
    private volatile boolean stopped;

    private EmbeddedPostgres(Path pgDir, Path install, Commands commands, String password, int port, boolean startedHere) {
        this.pgDir = pgDir;
        this.install = install;
        this.commands = commands;
        this.password = password;
        this.port = port;
        this.startedHere = startedHere;
    }

    /** Starts (or reuses) the server for {@code dataDir}; blocks until it accepts connections. */
    public static EmbeddedPostgres start(Path dataDir) {
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            Files.createDirectories(dir);
            Path pgDir = dir.resolve("postgres");
            Files.createDirectories(pgDir);
            @Nullable String account = isRoot() ? Accounts.ensureUnprivileged(ACCOUNT) : null;
            if (account != null) {
                Accounts.checkTraversable(dir, pgDir, account);
            }
            try (FileChannel ch = FileChannel.open(pgDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = lock(ch, pgDir)) {
                return startLocked(pgDir, account);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static EmbeddedPostgres startLocked(Path pgDir, @Nullable String account) throws IOException {
        Path install = PgBinaries.ensure(pgDir);
        Commands commands = new Commands(account, pgDir);
        Path pgdata = pgDir.resolve("pgdata");
        Path pwFile = pgDir.resolve("password");
        if (!Files.exists(pgdata.resolve("PG_VERSION"))) {
            String pw = HexFormat.of().formatHex(random(16));
            Files.deleteIfExists(pwFile);
            Files.createFile(pwFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(pwFile, pw + "\n", StandardCharsets.US_ASCII);
            initdb(commands, install, pgDir, pgdata, pwFile, account);
        } else if (account != null) {
            Accounts.chown(pgDir, account);
        }
        String password = Files.readString(pwFile, StandardCharsets.US_ASCII).trim();
        Optional<Integer> running = runningPort(pgdata);
        if (running.isPresent()) {
            log.info("reusing PostgreSQL already running on 127.0.0.1:{} for {}", running.get(), pgdata);
            return new EmbeddedPostgres(pgDir, install, commands, password, running.get(), false);
        }
        int port = choosePort(pgDir.resolve("port"));
        String opts = "-p " + port + " -h 127.0.0.1 -c unix_socket_directories=''"
                + SETTINGS.stream().map(s -> " -c " + s).collect(java.util.stream.Collectors.joining());
        Path logFile = pgDir.resolve("postgres.log");
        try {
            commands.exec(List.of(bin(install, "pg_ctl"), "start", "-w", "-t", "60", "-D", pgdata.toString(),
                    "-l", logFile.toString(), "-o", opts));
        } catch (IllegalStateException e) {
            String serverLog = Files.exists(logFile) ? Commands.tail(Files.readString(logFile)) : "";
            throw new IllegalStateException(e.getMessage() + "\nserver log " + logFile + ":\n" + serverLog, e);
        }
        log.info("started PostgreSQL {} on 127.0.0.1:{} data {}", PgBinaries.VERSION, port, pgdata);
        return new EmbeddedPostgres(pgDir, install, commands, password, port, true);
    }

    private static void initdb(Commands commands, Path install, Path pgDir, Path pgdata, Path pwFile,
                               @Nullable String account) throws IOException {
        Path tmp = pgDir.resolve("pgdata.tmp");
        PgBinaries.deleteTree(tmp);
        PgBinaries.deleteTree(pgdata);
        if (account != null) {
            Accounts.chown(pgDir, account);
        }
        commands.exec(List.of(bin(install, "initdb"), "-D", tmp.toString(), "-A", "scram-sha-256", "-U", "relay",
                "--pwfile=" + pwFile, "-E", "UTF8", "--locale=C"));
        Files.move(tmp, pgdata, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.info("initialised PostgreSQL data directory {}", pgdata);
    }

    /** The port of a live postmaster for this data directory that answers, if any. */
    private static Optional<Integer> runningPort(Path pgdata) throws IOException {
        Path pidFile = pgdata.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
        if (lines.size() < 4) {
            return Optional.empty();
        }
        try {
            long pid = Long.parseLong(lines.get(0).trim());
            int port = Integer.parseInt(lines.get(3).trim());
            boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return alive && answers(port) ? Optional.of(port) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean answers(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int choosePort(Path portFile) throws IOException {
        if (Files.exists(portFile)) {
            try {
                int saved = Integer.parseInt(Files.readString(portFile).trim());
                if (bindable(saved)) {
                    return saved;
                }
                log.info("persisted PostgreSQL port {} is taken, choosing another", saved);
            } catch (NumberFormatException e) {
                log.warn("ignoring malformed port file {}", portFile);
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(portFile, port + "\n");
        return port;
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static FileLock lock(FileChannel ch, Path pgDir) throws IOException {
        long deadline = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
        while (true) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // held by another thread of this JVM
            }
            if (lock != null) {
                return lock;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("timed out after 60 s waiting for the lock " + pgDir.resolve(".lock"));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + pgDir.resolve(".lock"), e);
            }
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static String bin(Path install, String name) {
        return install.resolve("bin").resolve(name).toString();
    }

    static boolean isRoot() {
        if ("root".equals(System.getProperty("user.name"))) {
            return true;
        }
        try {
            return "0".equals(Commands.run(List.of("id", "-u")).trim());
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** {@code r2dbc:postgresql://relay:PASSWORD@127.0.0.1:PORT/postgres}; the password is hex. */
    public String r2dbcUrl() {
        return "r2dbc:postgresql://relay:" + password + "@127.0.0.1:" + port + "/postgres";
    }

    public int port() {
        return port;
    }

    /** True if this call started the server, false if it reused one already running. */
    public boolean startedHere() {
        return startedHere;
    }

    /** Stops the server ({@code pg_ctl stop -m fast -w}), whoever started it. */
    public synchronized void stop() {
        if (stopped) {
            return;
        }
        commands.exec(List.of(bin(install, "pg_ctl"), "stop", "-D", pgDir.resolve("pgdata").toString(),
                "-m", "fast", "-w", "-t", "60"));
        stopped = true;
        log.info("stopped PostgreSQL on 127.0.0.1:{}", port);
    }

    /** Stops the server only if this instance started it. */
    @Override
    public void close() {
        if (startedHere) {
            stop();
        }
    }
}
