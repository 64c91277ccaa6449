package dev.relay.protocol.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Python's dkim package (Debian python3-dkim, python3-nacl for Ed25519) as an independent verifier, run as a
 * process with a bounded wait. Skips where it is not installed, except under CI (where .ci/run installs it).
 */
final class PythonDkim {

    record Result(int exitCode, String output) {
        boolean verified() {
            return exitCode == 0;
        }
    }

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private PythonDkim() {
    }

    static void assumeAvailable() {
        boolean available;
        try {
            Process probe = new ProcessBuilder(PYTHON.toString(), "-c", "import dkim, nacl").redirectErrorStream(true)
                    .start();
            available = probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            available = false;
        }
        if (System.getenv("CI") != null) {
            assertThat(available).as("python3-dkim and python3-nacl are installed by .ci/run").isTrue();
        }
        Assumptions.assumeTrue(available, "python3-dkim / python3-nacl not installed");
    }

    /** Verifies {@code message} against the TXT {@code records}. */
    static Result verify(byte[] message, List<DkimRecord> records) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("dkim-verify");
        try {
            Path script = dir.resolve("verify.py");
            try (InputStream in = PythonDkim.class.getResourceAsStream("/dkim/verify.py")) {
                Files.write(script, in.readAllBytes());
            }
            Path messageFile = Files.write(dir.resolve("message.eml"), message);
            StringBuilder lines = new StringBuilder();
            for (DkimRecord record : records) {
                // A resolver joins the character-strings of a TXT record; the verifier gets them joined.
                lines.append(record.name()).append(' ').append(String.join("", record.strings())).append('\n');
            }
            Path recordFile = Files.writeString(dir.resolve("records.txt"), lines, StandardCharsets.US_ASCII);
            Process process = new ProcessBuilder(PYTHON.toString(), script.toString(), messageFile.toString(),
                    recordFile.toString()).redirectErrorStream(true).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("python dkim did not finish in 120 s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Result(process.exitValue(), output);
        } finally {
            try (var files = Files.list(dir)) {
                files.forEach(f -> f.toFile().delete());
            } catch (UncheckedIOException | IOException ignored) {
                // temp files; the directory stays if a file is still open
            }
            dir.toFile().delete();
        }
    }
}
