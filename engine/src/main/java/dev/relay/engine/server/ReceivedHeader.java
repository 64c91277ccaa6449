package dev.relay.engine.server;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Our trace header (RFC 5321 4.4, RFC 5322 3.6.7), with the protocol keyword of RFC 3848: ESMTP, ESMTPS (TLS),
 * ESMTPA (AUTH), ESMTPSA (both); SMTP after HELO.
 */
final class ReceivedHeader {
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    private ReceivedHeader() {
    }

    static byte[] render(String helo, InetAddress client, String hostname, boolean esmtp, boolean tls,
            boolean authenticated, String queueId, List<String> recipients, ZonedDateTime when) {
        String protocol = esmtp ? "ESMTP" + (tls ? "S" : "") + (authenticated ? "A" : "") : "SMTP";
        StringBuilder header = new StringBuilder(160)
                .append("Received: from ").append(sanitize(helo))
                .append(" ([").append(addressLiteral(client)).append("])\r\n")
                .append("\tby ").append(hostname).append(" with ").append(protocol)
                .append(" id ").append(queueId);
        if (recipients.size() == 1) {
            header.append("\r\n\tfor <").append(sanitize(recipients.get(0))).append('>');
        }
        header.append(";\r\n\t").append(DATE.format(when.withZoneSameInstant(ZoneOffset.UTC))).append("\r\n");
        return header.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String addressLiteral(InetAddress client) {
        String address = client.getHostAddress();
        return client instanceof java.net.Inet6Address ? "IPv6:" + address : address;
    }

    /** HELO arguments come from the client; keep them from breaking the header's structure. */
    private static String sanitize(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length() && out.length() < 255; i++) {
            char c = value.charAt(i);
            out.append(c < 0x20 || c == 0x7f || c == '(' || c == ')' ? '?' : c);
        }
        return out.toString();
    }
}
