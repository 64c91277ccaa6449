package dev.relay.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The unprivileged system account PostgreSQL runs as when the JVM is root. */
final class Accounts {
    private static final Logger log = LoggerFactory.getLogger(Accounts.class);

    private Accounts() {}

    /** Returns "uid:gid" of {@code name}, creating it as a system account if needed; falls back to nobody. */
    static String ensureUnprivileged(String name) {
        if (!exists(name)) {
            try {
                Commands.run(List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name));
                log.info("created system account {} for PostgreSQL", name);
            } catch (IllegalStateException e) {
                if (!exists(name)) {
                    log.warn("cannot create account {}, running PostgreSQL as nobody: {}", name, e.getMessage());
                    name = "nobody";
                }
            }
        }
        String uid = Commands.run(List.of("id", "-u", name)).trim();
        String gid = Commands.run(List.of("id", "-g", name)).trim();
        return uid + ":" + gid;
    }

    private static boolean exists(String name) {
        try {
            Commands.run(List.of("id", "-u", name));
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    static void chown(Path dir, String uidGid) {
        Commands.run(List.of("chown", "-R", "-h", uidGid, dir.toString()));
    }

    /**
     * Checks that {@code account} ("uid:gid") can reach {@code pgDir}. Directories at or under
     * {@code dataDir} (ours) get o+x if missing; anything above it is reported, never changed.
     */
    static void checkTraversable(Path dataDir, Path pgDir, String account) throws IOException {
        int uid = Integer.parseInt(account.substring(0, account.indexOf(':')));
        for (Path p = pgDir.getParent(); p != null; p = p.getParent()) {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            int owner = (Integer) Files.getAttribute(p, "unix:uid");
            if (perms.contains(PosixFilePermission.OTHERS_EXECUTE) || owner == uid) {
                continue;
            }
            if (p.startsWith(dataDir)) {
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
                log.info("added o+x to {} so PostgreSQL's account can reach its data", p);
                continue;
            }
            throw new IllegalStateException("PostgreSQL runs as the unprivileged account " + account
                    + " (the JVM is root), which cannot traverse " + p + " (mode "
                    + java.nio.file.attribute.PosixFilePermissions.toString(perms) + ") to reach " + pgDir
                    + ". Put the data directory somewhere world-traversable (e.g. /var/lib/relay) or run `chmod o+x "
                    + p + "`.");
        }
    }
}
