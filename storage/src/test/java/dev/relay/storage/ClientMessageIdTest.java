package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ClientMessageIdTest {
    @Test
    void bracketsFoldingAndWhiteSpaceGo() {
        assertThat(ClientMessageId.normalise("<a.1@shop.example>")).isEqualTo("a.1@shop.example");
        assertThat(ClientMessageId.normalise(" \r\n <a.1@shop.example> (comment)")).isEqualTo("a.1@shop.example");
        assertThat(ClientMessageId.normalise("a.1@shop.example")).isEqualTo("a.1@shop.example");
        assertThat(ClientMessageId.normalise("<a.1@shop.example")).isEqualTo("a.1@shop.example");
        assertThat(ClientMessageId.normalise("<>")).isNull();
        assertThat(ClientMessageId.normalise("   ")).isNull();
        assertThat(ClientMessageId.normalise(null)).isNull();
    }

    @Test
    void controlCharactersAndLoneSurrogatesAreReplacedAndTheValueIsBoundedTo998Bytes() {
        assertThat(ClientMessageId.normalise("<a\u0000b\u001bc\u007f@x>")).isEqualTo("a?b?c?@x");
        assertThat(ClientMessageId.normalise("<a\ud800b@x>")).isEqualTo("a?b@x");
        assertThat(ClientMessageId.normalise("<" + "x".repeat(2000) + ">")).hasSize(998);
        // a 3-byte character is never cut in half: 332 of them are 996 bytes, the next would be 999
        String cut = ClientMessageId.normalise("€".repeat(400));
        assertThat(cut.getBytes(StandardCharsets.UTF_8)).hasSize(996);
        String emoji = ClientMessageId.normalise("\ud83d\ude00".repeat(300));
        assertThat(emoji.getBytes(StandardCharsets.UTF_8).length).isEqualTo(996);
        assertThat(emoji).doesNotContain("?");
        // 2-byte characters: 499 of them are 998 bytes
        assertThat(ClientMessageId.normalise("é".repeat(600))).isEqualTo("é".repeat(499));
        assertThat(ClientMessageId.normalise("<ü-" + "a".repeat(994) + ">")).isEqualTo("ü-" + "a".repeat(994));
    }

    @Test
    void aPlainValueIsKeptAsItIs() {
        String plain = "a.1@shop.example";
        assertThat(ClientMessageId.normalise(plain)).isSameAs(plain);
        assertThat(ClientMessageId.normalise("x".repeat(998))).hasSize(998);
        assertThat(ClientMessageId.normalise("x".repeat(999))).hasSize(998);
    }
}
