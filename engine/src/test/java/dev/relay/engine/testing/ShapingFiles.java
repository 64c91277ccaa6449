package dev.relay.engine.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * Shaping files for relays started by tests: {@link #write} puts the YAML in a file of its own under
 * {@code target/it-shaping}, and {@link #key} is the {@code delivery.shaping} line naming it, to append to a
 * {@code delivery:} section.
 */
public final class ShapingFiles {
    private ShapingFiles() {
    }

    /** A new file with {@code yaml}, e.g. {@code "default: {greeting_timeout: 1s}\n"}. */
    public static Path write(String yaml) {
        try {
            Path dir = Path.of("target", "it-shaping").toAbsolutePath();
            Files.createDirectories(dir);
            Path file = dir.resolve(UUID.randomUUID() + ".yaml");
            Files.writeString(file, yaml);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces the content in one atomic step, as an editor saving the file would; the watcher sees a change. */
    public static void replace(Path file, String yaml) {
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, yaml);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code delivery.shaping} line (two-space indented) for a file with {@code yaml}. */
    public static String key(String yaml) {
        return "  shaping: \"" + write(yaml) + "\"\n";
    }
}
