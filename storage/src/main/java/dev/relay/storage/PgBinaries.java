package dev.relay.storage;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Unpacks the zonky PostgreSQL distribution from the classpath, once, keeping modes and symlinks. */
final class PgBinaries {
    static final String VERSION = "17.6.0";
    private static final String RESOURCE = "/postgres-linux-x86_64.txz";
    private static final Logger log = LoggerFactory.getLogger(PgBinaries.class);

    private PgBinaries() {}

    /** Returns the installation directory (containing bin/, lib/, share/), unpacking it if absent. */
    static Path ensure(Path postgresDir) throws IOException {
        Path target = postgresDir.resolve("bin-" + VERSION);
        if (Files.isExecutable(target.resolve("bin/pg_ctl"))) {
            return target;
        }
        Path tmp = Files.createTempDirectory(postgresDir, "unpack-");
        try (InputStream raw = PgBinaries.class.getResourceAsStream(RESOURCE)) {
            if (raw == null) {
                throw new IllegalStateException("PostgreSQL binaries " + RESOURCE + " not on the classpath");
            }
            unpack(raw, tmp);
            deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            deleteTree(tmp);
        }
        log.info("unpacked PostgreSQL {} into {}", VERSION, target);
        return target;
    }

    private static void unpack(InputStream raw, Path into) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZCompressorInputStream(new BufferedInputStream(raw, 1 << 16)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = into.resolve(e.getName()).normalize();
                if (!out.startsWith(into)) {
                    throw new IOException("archive entry escapes target: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                    continue;
                }
                Files.createDirectories(out.getParent());
                if (e.isSymbolicLink()) {
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else if (e.isLink()) {
                    Files.createLink(out, into.resolve(e.getLinkName()).normalize());
                } else {
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(out, permissions(e.getMode()));
                }
            }
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                perms.add(order[bit]);
            }
        }
        return perms;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
