package dev.relay.protocol.dkim;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Signs a message with one or more keys (RFC 6376, RFC 8463): relaxed/relaxed, the body hashed once for all keys
 * and in place (the body is never copied), the fields of {@link #SIGNED_FIELDS} that are present signed (every
 * instance, bottom-up) and {@code From} over-signed so no second From can be added. Returns the
 * {@code DKIM-Signature} fields to put on top of the message; the message itself is not changed. Stateless.
 */
public final class DkimSigner {

    /** The fields that are signed when present, in the order of {@code h=}. */
    public static final List<String> SIGNED_FIELDS = List.of("from", "to", "cc", "subject", "date", "message-id",
            "mime-version", "content-type", "content-transfer-encoding", "reply-to", "in-reply-to", "references",
            "list-help", "list-unsubscribe", "list-unsubscribe-post", "feedback-id");

    /** Folded lines stay under 78 columns (RFC 5322 section 2.1.1). */
    private static final int LINE_LIMIT = 76;
    private static final int B64_CHUNK = 64;

    private DkimSigner() {
    }

    /**
     * The {@code DKIM-Signature} fields, one per key, each ending with CRLF, for the readable bytes of
     * {@code message} (header and body, CRLF line ends) signed at {@code now} and, when {@code validity} is not
     * null, expiring ({@code x=}) that much later.
     *
     * @throws GeneralSecurityException when a provider refuses a key
     */
    public static byte[] sign(ByteBuf message, List<DkimSigningKey> keys, Instant now, @Nullable Duration validity)
            throws GeneralSecurityException {
        return sign(message, HeaderSection.parse(message), keys, now, validity);
    }

    /** As {@link #sign(ByteBuf, List, Instant, Duration)}, with the header section already parsed. */
    public static byte[] sign(ByteBuf message, HeaderSection header, List<DkimSigningKey> keys, Instant now,
            @Nullable Duration validity) throws GeneralSecurityException {
        if (keys.isEmpty()) {
            return new byte[0];
        }
        byte[] bodyHash = bodyHash(message, header.bodyOffset());
        List<String> names = new ArrayList<>();
        byte[] signedHeaders = signedHeaders(header, names);
        ByteArrayOutputStream fields = new ByteArrayOutputStream();
        for (DkimSigningKey key : keys) {
            fields.writeBytes(signatureField(key, names, signedHeaders, bodyHash, now, validity));
        }
        return fields.toByteArray();
    }

    /** The relaxed body hash of the bytes of {@code message} from {@code bodyOffset} past its reader index. */
    static byte[] bodyHash(ByteBuf message, int bodyOffset) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        int from = message.readerIndex() + bodyOffset;
        int length = message.writerIndex() - from;
        if (length > 0) {
            for (ByteBuffer chunk : message.nioBuffers(from, length)) {
                hash.update(chunk);
            }
        }
        return hash.finish();
    }

    /** The canonical signed fields in {@code h=} order; {@code names} receives the {@code h=} list. */
    private static byte[] signedHeaders(HeaderSection header, List<String> names) {
        Map<String, List<HeaderSection.Field>> byName = new HashMap<>();
        for (HeaderSection.Field field : header.fields()) {
            if (SIGNED_FIELDS.contains(field.lowerName())) {
                byName.computeIfAbsent(field.lowerName(), n -> new ArrayList<>()).add(field);
            }
        }
        ByteArrayOutputStream data = new ByteArrayOutputStream(1024);
        for (String name : SIGNED_FIELDS) {
            List<HeaderSection.Field> present = byName.getOrDefault(name, List.of());
            // Instances are signed from the bottom up (section 5.4.2); From once more than present, so an added
            // From breaks the signature.
            for (int i = present.size() - 1; i >= 0; i--) {
                names.add(name);
                data.writeBytes(HeaderSection.relaxed(present.get(i).raw()));
            }
            if (name.equals("from")) {
                names.add(name);
            }
        }
        return data.toByteArray();
    }

    private static byte[] signatureField(DkimSigningKey key, List<String> names, byte[] signedHeaders,
            byte[] bodyHash, Instant now, @Nullable Duration validity) throws GeneralSecurityException {
        Folder folder = new Folder("DKIM-Signature:");
        folder.token("v=1;", false);
        folder.token("a=" + key.algorithm().tag() + ";", false);
        folder.token("c=relaxed/relaxed;", false);
        folder.token("d=" + key.domain() + ";", false);
        folder.token("s=" + key.selector() + ";", false);
        long t = now.getEpochSecond();
        folder.token("t=" + t + ";", false);
        if (validity != null) {
            folder.token("x=" + (t + Math.max(1, validity.toSeconds())) + ";", false);
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            boolean last = i == names.size() - 1;
            folder.token((i == 0 ? "h=" : "") + name + (last ? ";" : ":"), i > 0);
        }
        folder.token("bh=" + Base64.getEncoder().encodeToString(bodyHash) + ";", false);
        folder.token("b=", false);
        byte[] unsigned = folder.text().getBytes(StandardCharsets.ISO_8859_1);
        byte[] canonical = HeaderSection.relaxed(unsigned);
        byte[] data = new byte[signedHeaders.length + canonical.length - 2];
        System.arraycopy(signedHeaders, 0, data, 0, signedHeaders.length);
        // The signature field itself is signed without its final CRLF (section 3.7).
        System.arraycopy(canonical, 0, data, signedHeaders.length, canonical.length - 2);
        String b = Base64.getEncoder().encodeToString(signature(key, data));
        for (int i = 0; i < b.length(); i += B64_CHUNK) {
            folder.token(b.substring(i, Math.min(b.length(), i + B64_CHUNK)), true);
        }
        return (folder.text() + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] signature(DkimSigningKey key, byte[] data) throws GeneralSecurityException {
        if (key.algorithm() == DkimAlgorithm.ED25519_SHA256) {
            // RFC 8463 section 3: Ed25519 signs the SHA-256 of the data, not the data.
            return key.sign(MessageDigest.getInstance("SHA-256").digest(data));
        }
        return key.sign(data);
    }

    /** Lays tokens on lines of at most {@link #LINE_LIMIT} columns, folding with CRLF SP. Call-confined. */
    private static final class Folder {
        private final StringBuilder text = new StringBuilder(512);
        private int column;
        private boolean glueNext;

        Folder(String start) {
            text.append(start);
            column = start.length();
        }

        /** {@code glued}: placed right after the previous token unless the line is full. */
        void token(String token, boolean glued) {
            boolean glue = glued || glueNext;
            glueNext = false;
            int needed = token.length() + (glue ? 0 : 1);
            if (column + needed > LINE_LIMIT) {
                text.append("\r\n ");
                column = 1;
            } else if (!glue) {
                text.append(' ');
                column++;
            }
            text.append(token);
            column += token.length();
            if (token.equals("b=")) {
                glueNext = true;
            }
        }

        String text() {
            return text.toString();
        }
    }
}
