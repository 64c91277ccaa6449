package dev.relay.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs external commands, optionally as an unprivileged account, capturing their output. */
final class Commands {
    private static final Logger log = LoggerFactory.getLogger(Commands.class);
    private static final int TAIL_LINES = 30;

    private final @Nullable String runAs;
    private final Path scratch;

    /** @param runAs "uid:gid" to switch to with setpriv, or null to run as the current user */
    Commands(@Nullable String runAs, Path scratch) {
        this.runAs = runAs;
        this.scratch = scratch;
    }

    @Nullable String runAs() {
        return runAs;
    }

    static String run(List<String> command) {
        return new Commands(null, Path.of(System.getProperty("java.io.tmpdir"))).exec(command, false);
    }

    String exec(List<String> command) {
        return exec(command, runAs != null);
    }

    private String exec(List<String> command, boolean switchUser) {
        List<String> full = new ArrayList<>();
        if (switchUser && runAs != null) {
            String[] ids = runAs.split(":");
            full.addAll(List.of("setpriv", "--reuid=" + ids[0], "--regid=" + ids[1], "--clear-groups", "--"));
        }
        full.addAll(command);
        Path out = null;
        try {
            out = Files.createTempFile(scratch, "cmd-", ".out");
            ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("command timed out: " + String.join(" ", full));
            }
            String output = Files.readString(out, StandardCharsets.UTF_8);
            int rc = p.exitValue();
            log.debug("command exited {}: {} | {}", rc, String.join(" ", full), tail(output).replace('\n', ' '));
            if (rc != 0) {
                throw new IllegalStateException("command failed with exit code " + rc + ": "
                        + String.join(" ", full) + "\n" + tail(output));
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", full) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", full), e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }

    static String tail(String output) {
        String[] lines = output.split("\n");
        int from = Math.max(0, lines.length - TAIL_LINES);
        return String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    }
}
