package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Python's dkim package (Debian python3-dkim, python3-nacl for Ed25519) as an independent verifier, run as a
 * process with a bounded wait, the TXT records served from a file. Skips where it is not installed, except under CI
 * (where .ci/run installs it). The script is a copy of protocol's test resource dkim/verify.py.
 */
final class PythonDkim {

    record Result(int exitCode, String output) {
        boolean verified() {
            return exitCode == 0;
        }
    }

    private static final String PYTHON = "/usr/bin/python3";

    private PythonDkim() {
    }

    static void assumeAvailable() throws InterruptedException {
        boolean available;
        try {
            Process probe = new ProcessBuilder(PYTHON, "-c", "import dkim, nacl").redirectErrorStream(true).start();
            available = probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        } catch (IOException e) {
            available = false;
        }
        if (System.getenv("CI") != null) {
            assertThat(available).as("python3-dkim and python3-nacl are installed by .ci/run").isTrue();
        }
        Assumptions.assumeTrue(available, "python3-dkim / python3-nacl not installed");
    }

    /** Verifies {@code message}; {@code records}: DNS name to TXT value (the character-strings joined). */
    static Result verify(byte[] message, Map<String, String> records) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("dkim-verify");
        Path script = dir.resolve("verify.py");
        try (InputStream in = PythonDkim.class.getResourceAsStream("/dkim/verify.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path messageFile = Files.write(dir.resolve("message.eml"), message);
        StringBuilder lines = new StringBuilder();
        records.forEach((name, value) -> lines.append(name).append(' ').append(value).append('\n'));
        Path recordFile = Files.writeString(dir.resolve("records.txt"), lines, StandardCharsets.US_ASCII);
        Process process = new ProcessBuilder(PYTHON, script.toString(), messageFile.toString(), recordFile.toString())
                .redirectErrorStream(true).start();
        try {
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("python dkim did not finish in 120 s");
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
            for (Path p : new Path[] {script, messageFile, recordFile, dir}) {
                Files.deleteIfExists(p);
            }
        }
    }
}
