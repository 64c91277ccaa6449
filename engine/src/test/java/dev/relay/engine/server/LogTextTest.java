package dev.relay.engine.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

    @Test
    void lineBreaksAndControlCharactersCannotForgeALogLine() {
        String user = "shop\r\n2026-12-04 21:00:00 INFO authenticated as admin\u001b[2J\u0000\\";
        String escaped = LogText.escape(user);
        assertThat(escaped).doesNotContain("\r", "\n", "\u001b", "\u0000");
        assertThat(escaped).isEqualTo("shop\\r\\n2026-12-04 21:00:00 INFO authenticated as admin\\x1b[2J\\x00\\\\");
    }

    @Test
    void printableTextIsKeptAndLongTextIsCut() {
        assertThat(LogText.escape("müller@exämple.test")).isEqualTo("müller@exämple.test");
        assertThat(LogText.escape("x".repeat(1000))).hasSize(LogText.MAX_LENGTH + 3).endsWith("...");
    }
}
