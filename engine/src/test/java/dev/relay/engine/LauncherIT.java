package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code relay} launcher at the repository root, run by bash in a copy of the tree's shape with an up-to-date
 * jar and a stand-in {@code java} on the PATH that records its arguments: the JVM always gets
 * {@code -XX:+ExitOnOutOfMemoryError} (a JVM out of heap otherwise lingers, alive and answering nothing).
 */
class LauncherIT {
    @TempDir
    Path root;

    private List<String> javaArguments(String relayJavaOpts) throws Exception {
        Path script = Path.of("..", "relay");
        if (!Files.exists(script)) {
            script = Path.of("relay");
        }
        Files.copy(script, root.resolve("relay"));
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        for (String module : List.of("protocol", "storage", "engine/target/lib")) {
            Files.createDirectories(root.resolve(module));
        }
        Path bin = Files.createDirectories(root.resolve("bin"));
        Path java = bin.resolve("java");
        Path recorded = root.resolve("args");
        Files.writeString(java, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '" + recorded + "'\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path jar = root.resolve("engine/target/relay.jar");
        Files.writeString(jar, "jar");
        jar.toFile().setLastModified(System.currentTimeMillis() + 60_000); // newer than every source: no build

        ProcessBuilder builder = new ProcessBuilder("bash", root.resolve("relay").toString(), "run")
                .redirectErrorStream(true).redirectOutput(root.resolve("out").toFile());
        builder.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        if (relayJavaOpts == null) {
            builder.environment().remove("RELAY_JAVA_OPTS");
        } else {
            builder.environment().put("RELAY_JAVA_OPTS", relayJavaOpts);
        }
        Process process = builder.start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(Files.readString(root.resolve("out"))).isZero();
        return Files.readAllLines(recorded, StandardCharsets.UTF_8);
    }

    @Test
    void exitOnOutOfMemoryByDefault() throws Exception {
        assertThat(javaArguments(null)).containsExactly("-XX:+ExitOnOutOfMemoryError", "-Xms256m", "-Xmx1g", "-jar",
                root.resolve("engine/target/relay.jar").toString(), "run");
    }

    @Test
    void exitOnOutOfMemoryAlsoWithRelayJavaOpts() throws Exception {
        assertThat(javaArguments("-Xmx2g -Dfoo=bar")).containsExactly("-XX:+ExitOnOutOfMemoryError", "-Xmx2g",
                "-Dfoo=bar", "-jar", root.resolve("engine/target/relay.jar").toString(), "run");
    }
}
