package dev.relay.protocol.dkim;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.jspecify.annotations.Nullable;

/**
 * The SHA-256 of a body under the "relaxed" body canonicalisation (RFC 6376 section 3.4.4), fed in chunks so a
 * 30 MB message is hashed where it lies, never copied whole: runs of SP/HTAB become one SP, whitespace at the end of
 * a line goes, empty lines at the end go, and a non-empty body ends with CRLF. A line ends at CRLF only; a lone CR or
 * LF is an ordinary character (SMTP content has CRLF line ends; DATA framing guarantees it).
 *
 * <p>Confined to the thread that calls it; one instance per body.
 */
public final class RelaxedBodyHash {

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte[] CRLF = {CR, LF};

    /**
     * The canonical output goes to the digest in runs of this size, and a direct buffer is read through an array of
     * it: 2 KiB, as one hash is made per signed message and zeroing two 8 KiB arrays was half of what signing a 2 KiB
     * message allocated (a 25 MiB body calls the digest 4 times as often, which its canonicalisation loop dwarfs).
     */
    private static final int BUFFER = 2048;

    private final MessageDigest digest;
    private final byte[] out = new byte[BUFFER];
    /** Only for direct buffers; made at the first. */
    private byte @Nullable [] scratch;
    private int outLength;
    /** Whitespace seen since the last character written: one SP if more content follows on the line. */
    private boolean pendingSpace;
    /** A CR that may start a line end. */
    private boolean pendingCr;
    /** Line ends not yet written: they are dropped if only empty lines follow. */
    private long pendingLineEnds;
    /** Whether anything but line ends was written: a non-empty body ends with CRLF. */
    private boolean content;

    public RelaxedBodyHash() {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** Consumes the remaining bytes of {@code chunk}. */
    public void update(ByteBuffer chunk) {
        if (chunk.hasArray()) {
            byte[] array = chunk.array();
            int start = chunk.arrayOffset() + chunk.position();
            update(array, start, chunk.remaining());
            chunk.position(chunk.limit());
            return;
        }
        // a direct buffer (the usual case: pooled network buffers) is read through one small reused array
        byte[] buffer = scratch;
        if (buffer == null) {
            buffer = new byte[BUFFER];
            scratch = buffer;
        }
        while (chunk.hasRemaining()) {
            int n = Math.min(buffer.length, chunk.remaining());
            chunk.get(buffer, 0, n);
            update(buffer, 0, n);
        }
    }

    public void update(byte[] bytes, int offset, int length) {
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            byte b = bytes[i];
            if (pendingCr) {
                pendingCr = false;
                if (b == LF) {
                    pendingSpace = false;
                    pendingLineEnds++;
                    continue;
                }
                character(CR);
            }
            if (b == CR) {
                pendingCr = true;
            } else if (b == ' ' || b == '\t') {
                pendingSpace = true;
            } else {
                character(b);
            }
        }
    }

    /** The 32-byte hash; the instance is spent afterwards. */
    public byte[] finish() {
        if (pendingCr) {
            pendingCr = false;
            character(CR);
        }
        if (content) {
            write(CRLF[0]);
            write(CRLF[1]);
        }
        digest.update(out, 0, outLength);
        outLength = 0;
        return digest.digest();
    }

    private void character(byte b) {
        for (; pendingLineEnds > 0; pendingLineEnds--) {
            write(CR);
            write(LF);
        }
        if (pendingSpace) {
            pendingSpace = false;
            write((byte) ' ');
        }
        write(b);
        content = true;
    }

    private void write(byte b) {
        if (outLength == out.length) {
            digest.update(out, 0, outLength);
            outLength = 0;
        }
        out[outLength++] = b;
    }
}
