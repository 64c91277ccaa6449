package dev.relay.engine.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AttemptLogTest {
    @Test
    void remoteTextCannotForgeLinesAndIsCut() {
        assertThat(AttemptLog.clean("550 5.1.1 no\r\nINFO fake line\u0000")).isEqualTo("550 5.1.1 no  INFO fake line ");
        assertThat(AttemptLog.clean("x".repeat(500))).hasSize(201).endsWith("x…");
        assertThat(AttemptLog.clean(null)).isEmpty();
    }
}
