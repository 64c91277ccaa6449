package dev.relay.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.storage.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The relay as a child process (for kill and drain tests), started from this JVM's classpath. */
public final class RelayProcess {
    private RelayProcess() {
    }

    /** Starts {@code relay run --config config}, output to {@code log}; returns once it greets on {@code smtp}. */
    public static Process start(Path config, Path log, InetSocketAddress smtp, int startSeconds) throws Exception {
        return start(config, log, smtp, startSeconds, List.of());
    }

    /** @param jvmOptions extra JVM options, e.g. {@code -Dlogback.configurationFile=...} */
    public static Process start(Path config, Path log, InetSocketAddress smtp, int startSeconds,
                                List<String> jvmOptions) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx256m"));
        if (Runtime.version().feature() >= 24) {
            // as the launcher does: no JDK warnings on stderr, which is the relay's log here
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        }
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "dev.relay.engine.Main", "run", "--config", config.toString()));
        Process relay = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            awaitGreeting(smtp, relay, startSeconds);
        } catch (Exception | Error e) {
            relay.destroyForcibly();
            throw e;
        }
        return relay;
    }

    private static void awaitGreeting(InetSocketAddress smtp, Process relay, int seconds) {
        Await.awaitTrue("relay start (greeting on " + smtp + ")", Duration.ofSeconds(seconds), () -> {
            assertThat(relay.isAlive()).as("relay process alive").isTrue();
            try (SmtpTestClient client = SmtpTestClient.connect(smtp)) {
                return client.reply().code() == 220;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /** A loopback port free right now, for configs that must name their port before the relay starts. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
