package dev.relay.protocol.dkim;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** The messages every verifier test signs: the shapes that break canonicalisation in practice. */
final class TestMessages {

    private TestMessages() {
    }

    static final String HEADER = "From: Shop <orders@shop.example>\r\n"
            + "To: Ann <ann@example.org>\r\n"
            + "Subject: Your order\r\n"
            + "Date: Sat, 05 Dec 2026 00:10:00 +0000\r\n"
            + "Message-ID: <1@shop.example>\r\n"
            + "MIME-Version: 1.0\r\n";

    /** Small cases by name. */
    static Map<String, byte[]> small() {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("plain", ascii(HEADER + "Content-Type: text/plain\r\n\r\nHello Ann,\r\nyour order shipped.\r\n"));
        cases.put("folded headers", ascii("From: Shop\r\n <orders@shop.example>\r\n"
                + "To: Ann <ann@example.org>,\r\n\tBob <bob@example.org>\r\n"
                + "Subject:   A  subject\r\n   folded \t twice  \r\n  and again\r\n"
                + "cc: carl@example.org\r\n"
                + "Date: Sat, 05 Dec 2026 00:10:00 +0000\r\n"
                + "Content-Type: text/plain;\r\n charset=utf-8\r\n\r\nBody  with \t spaces  \r\n\r\n\r\n"));
        cases.put("8-bit body", concat(ascii(HEADER + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\n"),
                "Grüße aus Köln — 東京 \r\n\r\nÅngström\r\n".getBytes(StandardCharsets.UTF_8)));
        cases.put("long lines", ascii(HEADER + "\r\n" + "x".repeat(998) + "\r\n" + "y ".repeat(499) + "\r\n"));
        cases.put("no final CRLF", ascii(HEADER + "\r\nlast line without end"));
        cases.put("empty body", ascii(HEADER + "\r\n"));
        cases.put("trailing blank lines", ascii(HEADER + "\r\nbody\r\n\r\n \r\n\t\r\n"));
        cases.put("two From fields", ascii(HEADER + "From: second@shop.example\r\n\r\nbody\r\n"));
        return cases;
    }

    /** A message with a base64 attachment of about {@code megabytes} MB. */
    static byte[] withAttachment(int megabytes) {
        byte[] random = new byte[megabytes * 1024 * 1024 * 3 / 4];
        new Random(42).nextBytes(random);
        String encoded = java.util.Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(random);
        String head = HEADER + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
                + "Content-Type: text/plain\r\n\r\nSee attachment.\r\n--b1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        return concat(ascii(head), ascii(encoded), ascii("\r\n--b1--\r\n"));
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] concat(byte[]... parts) {
        int length = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
