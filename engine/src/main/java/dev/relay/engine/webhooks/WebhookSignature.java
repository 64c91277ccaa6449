package dev.relay.engine.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@value #HEADER} header: {@code t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>}, the form Stripe
 * made common. Signing the timestamp with the body lets a receiver reject a replayed request by its age; the secret
 * is the endpoint's, shown once when it is added. Stateless.
 */
public final class WebhookSignature {
    public static final String HEADER = "Relay-Signature";
    private static final HexFormat HEX = HexFormat.of();

    private WebhookSignature() {}

    /** The header value for {@code body} sent at {@code unixSeconds}. */
    public static String header(String secret, long unixSeconds, byte[] body) {
        return "t=" + unixSeconds + ",v1=" + HEX.formatHex(hmac(secret, unixSeconds, body));
    }

    static byte[] hmac(String secret, long unixSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** A new endpoint secret: 32 random bytes as 64 hex digits. */
    public static String newSecret(SecureRandom random) {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return HEX.formatHex(b);
    }
}
