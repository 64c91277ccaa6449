package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoredTextTest {
    @Test
    void nulAndControlCharactersBecomeSpaces() {
        assertThat(StoredText.clean("550 5.1.1 no\0such user")).isEqualTo("550 5.1.1 no such user");
        assertThat(StoredText.clean("a\r\nb\u007fc\td")).isEqualTo("a  b c\td");
        assertThat(StoredText.clean(null)).isNull();
    }

    @Test
    void plainTextIsKeptAsItIs() {
        String text = "250 2.0.0 Ok: queued as 4Bd0Xh \u00e9\ud83d\ude00";
        assertThat(StoredText.clean(text)).isSameAs(text);
    }

    @Test
    void loneSurrogatesAreReplaced() {
        assertThat(StoredText.clean("a\ud800b")).isEqualTo("a?b");
    }

    @Test
    void longTextIsCutToTheStatedLength() {
        String cut = StoredText.clean("x".repeat(5000));
        assertThat(cut).hasSize(StoredText.MAX_CHARS + 3).endsWith("...");
    }

    @Test
    void recipientUpdatesCleanWhatTheNextHopControls() {
        RecipientUpdate u = new RecipientUpdate(MessageId.newId(), 0, "a@x.example", RecipientUpdate.Kind.BOUNCED,
                null, "mx\0.example", "550 5.1.1 no\0such user", "si\0te");
        assertThat(u.reply()).isEqualTo("550 5.1.1 no such user");
        assertThat(u.remoteHost()).isEqualTo("mx .example");
        assertThat(u.site()).isEqualTo("si te");
    }
}
