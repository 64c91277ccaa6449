package dev.relay.protocol.report;

import java.io.IOException;
import java.io.InputStream;

/** Ends a stream after {@code cap} bytes, remembering whether there was more. Confined to one parse. */
final class CappedInputStream extends InputStream {
    private final InputStream in;
    private long left;
    private boolean capped;

    CappedInputStream(InputStream in, long cap) {
        this.in = in;
        this.left = cap;
    }

    boolean capped() {
        return capped;
    }

    @Override
    public int read() throws IOException {
        if (left <= 0) {
            capped = capped || in.read() >= 0;
            return -1;
        }
        int b = in.read();
        if (b >= 0) {
            left--;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (left <= 0) {
            capped = capped || in.read() >= 0;
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, left));
        if (n > 0) {
            left -= n;
        }
        return n;
    }
}
