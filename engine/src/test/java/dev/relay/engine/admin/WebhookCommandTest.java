package dev.relay.engine.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code relay webhook}: arguments to admin API calls, and usage errors before any request. */
class WebhookCommandTest {
    private static WebhookCommand.Request request(String... args) {
        return WebhookCommand.request(WebhookCommand.parse(args));
    }

    @Test
    void commandsBecomeApiCalls() {
        WebhookCommand.Request add = request("webhook", "add", "--sender", "shop", "--url",
                "https://hooks.example.com/relay", "--kinds", "delivered,bounced", "--max-in-flight", "8");
        assertThat(add.method()).isEqualTo("POST");
        assertThat(add.path()).isEqualTo("webhooks");
        assertThat(add.body().toString()).isEqualTo("{\"sender\":\"shop\",\"url\":\"https://hooks.example.com/relay\","
                + "\"kinds\":\"delivered,bounced\",\"max_in_flight\":8}");
        assertThat(request("list").path()).isEqualTo("webhooks");
        assertThat(request("remove", "3")).isEqualTo(new WebhookCommand.Request("DELETE", "webhooks/3", null,
                "remove"));
        assertThat(request("dead").path()).isEqualTo("webhooks/dead");
        assertThat(request("dead", "7", "--limit", "20").path()).isEqualTo("webhooks/dead?endpoint=7&limit=20");
        assertThat(request("replay", "7").path()).isEqualTo("webhooks/7/replay");
    }

    @Test
    void mistakesAreUsageErrorsBeforeAnyRequest() {
        assertThatThrownBy(() -> request("add", "--url", "https://h.example/")).hasMessageContaining("'sender'");
        assertThatThrownBy(() -> request("add", "--sender", "shop", "--url", "ftp://h.example/"))
                .hasMessageContaining("http:// or https://");
        assertThatThrownBy(() -> request("add", "--sender", "shop", "--url", "https://h.example/", "--kinds",
                "delivered,opened")).hasMessageContaining("unknown webhook event kind 'opened'");
        assertThatThrownBy(() -> request("remove")).hasMessageContaining("one endpoint id");
        assertThatThrownBy(() -> request("replay", "x")).hasMessageContaining("is a number");
        assertThatThrownBy(() -> request("list", "--limit", "3")).hasMessageContaining("does not apply");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = WebhookCommand.run(new String[] {"add", "--sender", "a b", "--url", "http://h.example/"},
                RelayConfig.defaults(), Map.of(), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("without spaces");
    }
}
