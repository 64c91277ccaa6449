package dev.relay.storage.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;

/**
 * Where tests put data an embedded PostgreSQL must reach. Normally under the project's {@code target/}; but when
 * the tests run as root in a checkout the PostgreSQL account cannot traverse (a clone under {@code /root}, mode
 * 700), under the system temporary directory instead, so {@code mvn verify} passes wherever the clone lives.
 */
public final class ScratchDirectories {
    private ScratchDirectories() {
    }

    public static Path base() {
        Path target = TestDatabase.projectRoot().resolve("target").toAbsolutePath();
        if (!"root".equals(System.getProperty("user.name")) || traversableByOthers(target.getParent())) {
            return target;
        }
        String key = Integer.toHexString(TestDatabase.projectRoot().toAbsolutePath().toString().hashCode());
        return Path.of(System.getProperty("java.io.tmpdir"), "relay-tests-" + key);
    }

    /** A directory {@code name} under {@link #base()}, created if needed. */
    public static Path directory(String name) {
        Path dir = base().resolve(name);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    private static boolean traversableByOthers(Path dir) {
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
