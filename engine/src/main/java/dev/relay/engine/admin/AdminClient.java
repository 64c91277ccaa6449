package dev.relay.engine.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One request of a {@code relay ...} admin command (system, system dkim, webhook) to the running relay's admin API,
 * and the common half of showing its answer: {@code --json} prints the answer as it is, an error answer becomes the
 * command's error line and exit code 1, and only a 2xx answer reaches the command's own table. Runs on the CLI's
 * main thread, where blocking is what a command does.
 */
final class AdminClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    /** Shows a 2xx answer's body (not in --json mode) and returns the exit code. */
    interface Table {
        int show(JsonNode body);
    }

    private AdminClient() {}

    /**
     * Sends {@code method path} (under {@link AdminApi#PREFIX}) with {@code body} (null: none) as {@code actor};
     * {@code command} names the command in error lines ("relay webhook").
     */
    static int call(String command, URI base, String token, String actor, String method, String path,
                    @Nullable ObjectNode body, boolean json, PrintStream out, PrintStream err, Table table) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(AdminApi.PREFIX + path))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header(AdminApi.ACTOR_HEADER, actor);
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.header("Content-Type", "application/json")
                        .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
        JsonNode answer;
        int status;
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build();
            HttpResponse<String> response = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            answer = JSON.readTree(response.body());
            if (answer == null) {
                throw new IOException("empty answer");
            }
            status = response.statusCode();
        } catch (IOException e) {
            err.println(command + ": no usable answer from the relay's admin API at " + base + ": " + e
                    + " (is the relay running? --url or http.listen name it)");
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println(command + ": interrupted");
            return 1;
        }
        if (json) {
            out.println(answer.toString());
        }
        if (status / 100 != 2) {
            err.println(command + ": " + QueueCommand.text(answer, "error") + " (HTTP " + status + ")");
            return 1;
        }
        return json ? 0 : table.show(answer);
    }
}
