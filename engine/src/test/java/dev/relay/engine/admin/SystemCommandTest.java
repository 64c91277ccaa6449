package dev.relay.engine.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.engine.admin.SystemCommand.Request;
import dev.relay.engine.config.RelayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code relay system ...} as requests to the admin API, and its usage errors, without a relay. */
class SystemCommandTest {

    private static Request request(String... args) {
        return SystemCommand.request(AdminCommandLine.parse("system", args, SystemCommand.OPTIONS,
                SystemCommand.FLAGS, SystemCommand.ALLOWED));
    }

    @Test
    void subcommandsBecomeAdminApiCalls() {
        Request add = request("system", "add", "erp", "--lane", "bulk", "--notes", "the ERP");
        assertThat(add.method()).isEqualTo("POST");
        assertThat(add.path()).isEqualTo("systems");
        assertThat(add.body().toString()).isEqualTo("{\"name\":\"erp\",\"lane\":\"bulk\",\"notes\":\"the ERP\"}");
        assertThat(request("disable", "erp").path()).isEqualTo("systems/erp/disable");
        Request set = request("set", "erp", "--dkim-sign-as-system-domain", "true", "--lane", "transactional");
        assertThat(set.method()).isEqualTo("POST");
        assertThat(set.path()).isEqualTo("systems/erp");
        assertThat(set.body().toString())
                .isEqualTo("{\"lane\":\"transactional\",\"dkim_sign_as_system_domain\":true}");
        assertThat(request("set", "erp", "--notes", "n").body().toString()).isEqualTo("{\"notes\":\"n\"}");
        for (String verp : List.of("on", "off", "default")) {
            assertThat(request("set", "erp", "--verp", verp).body().toString())
                    .isEqualTo("{\"verp\":\"" + verp + "\"}");
        }
        assertThat(request("credential", "add", "erp").path()).isEqualTo("systems/erp/credentials");
        Request revoke = request("credential", "revoke", "erp", "erp-1a2b3c4d");
        assertThat(revoke.method()).isEqualTo("DELETE");
        assertThat(revoke.path()).isEqualTo("systems/erp/credentials/erp-1a2b3c4d");
        Request domain = request("domain", "add", "erp", "ERP.example", "--subdomains", "--list-help",
                "mailto:help@erp.example");
        assertThat(domain.body().toString()).isEqualTo("{\"domain\":\"erp.example\",\"include_subdomains\":true,"
                + "\"list_help\":\"mailto:help@erp.example\"}");
        assertThat(request("domain", "remove", "erp", "erp.example").path()).isEqualTo("systems/erp/domains/erp.example");
    }

    @Test
    void badArgumentsAreUsageErrorsBeforeAnyRequest() {
        assertThatThrownBy(() -> request("add", "Not Valid")).hasMessageContaining("system name");
        assertThatThrownBy(() -> request("add", "erp", "--lane", "fast")).hasMessageContaining("--lane");
        assertThatThrownBy(() -> request("set", "erp")).hasMessageContaining("needs --lane");
        assertThatThrownBy(() -> request("set", "erp", "--dkim-sign-as-system-domain", "yes"))
                .hasMessageContaining("true or false");
        assertThatThrownBy(() -> request("set", "erp", "--lane", "fast")).hasMessageContaining("--lane");
        assertThatThrownBy(() -> request("set", "erp", "--verp", "yes")).hasMessageContaining("on, off or default");
        assertThatThrownBy(() -> request("domain", "add", "erp", "erp.example", "--list-help", "http://x.example"))
                .hasMessageContaining("list_help");
        assertThatThrownBy(() -> request("credential", "erp")).hasMessageContaining("credential add NAME");
        assertThatThrownBy(() -> request("enable", "--subdomains", "erp")).hasMessageContaining("does not apply");

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SystemCommand.run(new String[] {"system", "frobnicate"}, RelayConfig.defaults(), Map.of(),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown system command").contains("usage:");
    }
}
