package dev.relay.engine.config;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Secrets in files: written owner-only (0600 where POSIX) and atomically replaced, so readers never see half a file;
 * and refused at start when group or others have any access to them, as OpenSSH refuses a private key.
 */
public final class SecureFiles {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private SecureFiles() {}

    /**
     * Throws a {@link ConfigException} naming {@code key}, the file, its mode and the {@code chmod 600} fix when group
     * or others have any permission on {@code file} (read: they learn the secret; write: they replace it). Files on
     * file systems without POSIX permissions, and missing files (the reader reports those), pass.
     */
    public static void requirePrivate(Path file, String key) {
        Set<PosixFilePermission> permissions;
        try {
            if (!Files.getFileStore(file).supportsFileAttributeView("posix")) {
                return;
            }
            permissions = Files.getPosixFilePermissions(file);
        } catch (IOException | UnsupportedOperationException e) {
            return;
        }
        if (permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER_"))) {
            throw new ConfigException(key, file.toString(), "holds a secret but is accessible by group or others"
                    + " (" + PosixFilePermissions.toString(permissions) + "); fix with `chmod 600 " + file + "`");
        }
    }

    /** Writes {@code content} to a temporary file next to {@code target}, then moves it over {@code target}. */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
        Path tmp = posix
                ? Files.createTempFile(dir, "." + abs.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
                : Files.createTempFile(dir, "." + abs.getFileName(), ".tmp");
        try {
            Files.write(tmp, content);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
