package dev.relay.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code relay} launcher at the repository root, run by bash in a copy of the tree's shape with an up-to-date
 * jar and a stand-in JDK whose {@code java} records its arguments: the JVM always gets
 * {@code -XX:+ExitOnOutOfMemoryError} (a JVM out of heap otherwise lingers, alive and answering nothing), the JDK is
 * the one asked for or the newest 25+, and on 25+ an AOT cache named after the JDK, the jar and the options is
 * recorded by the first run and used by the next.
 */
class LauncherIT {
    @TempDir
    Path root;

    /** A stand-in JDK home under the tree: bin/java records its arguments, release names VERSION (none: no file). */
    private Path jdk(String name, String version) throws IOException {
        Path home = root.resolve(name);
        Path bin = Files.createDirectories(home.resolve("bin"));
        Path java = bin.resolve("java");
        Files.writeString(java, "#!/usr/bin/env bash\n[ \"$1\" = -version ] && exit 0\nprintf '%s\\n' \"$@\" > '"
                + root.resolve("args") + "'\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (version != null) {
            Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        }
        return home;
    }

    private String launch(Map<String, String> env, String... arguments) throws Exception {
        Path script = Path.of("..", "relay");
        if (!Files.exists(script)) {
            script = Path.of("relay");
        }
        if (!Files.exists(root.resolve("relay"))) {
            Files.copy(script, root.resolve("relay"));
            Files.writeString(root.resolve("pom.xml"), "<project/>");
            for (String module : List.of("protocol", "storage", "engine/target/lib")) {
                Files.createDirectories(root.resolve(module));
            }
            Files.writeString(root.resolve("engine/target/lib/netty.jar"), "library");
            Path jar = root.resolve("engine/target/relay.jar");
            Files.writeString(jar, "jar");
            jar.toFile().setLastModified(System.currentTimeMillis() + 60_000); // newer than every source: no build
        }
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("relay").toString()));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("out").toFile());
        builder.environment().keySet().removeAll(List.of("RELAY_JAVA_OPTS", "RELAY_JAVA", "RELAY_AOT", "JAVA_HOME"));
        builder.environment().putAll(env);
        Process process = builder.start();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = Files.readString(root.resolve("out"));
        assertThat(process.exitValue()).as(out).isZero();
        return out;
    }

    private List<String> javaArguments(Map<String, String> env) throws Exception {
        Files.deleteIfExists(root.resolve("args"));
        launch(env, "run");
        return Files.readAllLines(root.resolve("args"), StandardCharsets.UTF_8);
    }

    private String jar() {
        return root.resolve("engine/target/relay.jar").toString();
    }

    @Test
    void exitOnOutOfMemoryByDefault() throws Exception {
        Path java17 = jdk("jdk17", "17.0.15").resolve("bin/java");
        assertThat(javaArguments(Map.of("RELAY_JAVA", java17.toString())))
                .containsExactly("-XX:+ExitOnOutOfMemoryError", "-Xms256m", "-Xmx1g", "-jar", jar(), "run");
    }

    @Test
    void exitOnOutOfMemoryAlsoWithRelayJavaOpts() throws Exception {
        Path java17 = jdk("jdk17", "17.0.15").resolve("bin/java");
        assertThat(javaArguments(Map.of("RELAY_JAVA", java17.toString(), "RELAY_JAVA_OPTS", "-Xmx2g -Dfoo=bar")))
                .containsExactly("-XX:+ExitOnOutOfMemoryError", "-Xmx2g", "-Dfoo=bar", "-jar", jar(), "run");
    }

    @Test
    void relayJavaMayNameABinaryOnThePath() throws Exception {
        Path bin = jdk("jdk17", "17.0.15").resolve("bin");
        Map<String, String> env = Map.of("RELAY_JAVA", "java", "PATH", bin + ":" + System.getenv("PATH"));
        assertThat(javaArguments(env)).endsWith("-jar", jar(), "run");
        assertThat(launch(env, "jvm", "--java-home").strip()).isEqualTo(bin.getParent().toRealPath().toString());
    }

    @Test
    void theNewestJdk25OrLaterIsPickedAndTestedOn() throws Exception {
        Path newest = jdk("jdk99", "99.0.1");
        String out = launch(Map.of("JAVA_HOME", newest.toString()), "jvm", "--java-home");
        assertThat(out.strip()).isEqualTo(newest.toRealPath().toString());
        assertThat(javaArguments(Map.of("JAVA_HOME", newest.toString()))).startsWith("-XX:+ExitOnOutOfMemoryError")
                .contains("-Xlog:aot*=error");
    }

    @Test
    void anAotCacheIsRecordedByTheFirstRunAndUsedByTheNext() throws Exception {
        Map<String, String> env = Map.of("RELAY_JAVA", jdk("jdk25", "25.0.3").resolve("bin/java").toString());
        List<String> first = javaArguments(env);
        String record = first.stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=")).findFirst().orElseThrow();
        Path cache = Path.of(record.substring("-XX:AOTCacheOutput=".length()));
        assertThat(cache.getParent()).isEqualTo(root.resolve("engine/target/aot"));
        assertThat(first).containsSubsequence("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", record, "-Xlog:aot*=error", "-Xms256m", "-Xmx1g", "-jar",
                jar(), "run");
        assertThat(launch(env, "jvm")).contains("aot_cache: " + cache + " (absent");

        Files.writeString(cache, "cache"); // as the JVM writes it when the training run stops, after the build
        cache.toFile().setLastModified(System.currentTimeMillis() + 120_000);
        assertThat(javaArguments(env)).contains("-XX:AOTCache=" + cache).noneMatch(a -> a.contains("AOTCacheOutput"));
        assertThat(launch(env, "jvm")).contains("aot_cache: " + cache + " (used)");

        // other JVM options: another cache, recorded afresh; the first still fits its options and stays
        Map<String, String> otherOptions = new HashMap<>(env);
        otherOptions.put("RELAY_JAVA_OPTS", "-Xmx2g");
        String other = javaArguments(otherOptions).stream().filter(a -> a.startsWith("-XX:AOTCacheOutput="))
                .findFirst().orElseThrow();
        assertThat(other).isNotEqualTo(record);
        assertThat(cache).exists();

        // a changed library: another cache
        Files.writeString(root.resolve("engine/target/lib/netty.jar"), "another library");
        assertThat(javaArguments(env)).noneMatch(a -> a.equals("-XX:AOTCache=" + cache));

        // a rebuilt jar: a new cache; the old one, which no start could use, is removed when the new one is recorded
        root.resolve("engine/target/relay.jar").toFile().setLastModified(System.currentTimeMillis() + 180_000);
        String rebuilt = javaArguments(env).stream().filter(a -> a.startsWith("-XX:AOTCacheOutput=")).findFirst()
                .orElseThrow();
        assertThat(rebuilt).isNotEqualTo(record);
        assertThat(cache).doesNotExist();
    }

    @Test
    void anEditedTestSourceDoesNotRebuildTheJar() throws Exception {
        Map<String, String> env = Map.of("RELAY_JAVA", jdk("jdk17", "17.0.15").resolve("bin/java").toString());
        launch(env, "jvm");
        Path test = Files.createDirectories(root.resolve("engine/src/test/java")).resolve("SomeTest.java");
        Files.writeString(test, "class SomeTest {}");
        test.toFile().setLastModified(System.currentTimeMillis() + 120_000); // newer than the jar
        assertThat(launch(env, "jvm")).doesNotContain("building");
    }

    @Test
    void aCommandOtherThanRunRecordsNoCache() throws Exception {
        Map<String, String> env = Map.of("RELAY_JAVA", jdk("jdk25", "25.0.3").resolve("bin/java").toString());
        Files.deleteIfExists(root.resolve("args"));
        launch(env, "queue", "summary");
        assertThat(Files.readAllLines(root.resolve("args"))).noneMatch(a -> a.startsWith("-XX:AOTCache"))
                .endsWith("-jar", jar(), "queue", "summary");
    }

    @Test
    void relayAotOffAndJava17RunWithoutACache() throws Exception {
        Map<String, String> off = Map.of("RELAY_JAVA", jdk("jdk25", "25.0.3").resolve("bin/java").toString(),
                "RELAY_AOT", "off");
        assertThat(javaArguments(off)).noneMatch(a -> a.contains("AOT") || a.contains("aot"));
        assertThat(launch(off, "jvm")).contains("aot_cache: off");
        Map<String, String> java17 = Map.of("RELAY_JAVA", jdk("jdk17", "17.0.15").resolve("bin/java").toString());
        assertThat(javaArguments(java17)).noneMatch(a -> a.contains("AOT") || a.contains("aot"));
    }
}
