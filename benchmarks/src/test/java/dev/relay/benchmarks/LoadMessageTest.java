package dev.relay.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoadMessageTest {
    @ParameterizedTest
    @ValueSource(ints = {512, 2048, 2049, 2050, 20480})
    void hasTheRequestedSizeIn76ColumnLinesThatNeedNoStuffing(int size) throws IOException {
        String text = text(new LoadMessage("run1", size), 7);

        assertThat(text).endsWith("\r\n.\r\n");
        String content = text.substring(0, text.length() - 3);
        // the last line has at least one column, so the size may be exceeded by up to two bytes
        assertThat(content.length()).isBetween(size, size + 2);
        String body = content.substring(content.indexOf("\r\n\r\n") + 4);
        for (String line : body.split("\r\n")) {
            assertThat(line.length()).isBetween(1, 76);
            assertThat(line).doesNotStartWith(".").doesNotStartWith(" ");
        }
        assertThat(content.replace("\r\n", "")).doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    void everyMessageHasItsOwnIdAndRecipientAndTheSameSize() throws IOException {
        LoadMessage m = new LoadMessage("abc", 2048);
        String first = text(m, 0);
        String other = text(m, 1234567);

        assertThat(first).contains("Message-ID: <0000000000.abc@bench.load>\r\n").contains("To: <user0@example.test>");
        assertThat(other).contains("Message-ID: <0001234567.abc@bench.load>\r\n");
        assertThat(m.recipient(1234567)).isEqualTo("user1234567@example.test");
        assertThat(other.length() - first.length()).isEqualTo("user1234567".length() - "user0".length());
    }

    private static String text(LoadMessage m, long k) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        m.writeTo(out, k);
        return out.toString(StandardCharsets.US_ASCII);
    }
}
