package dev.relay.benchmarks;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One client connection of {@link RateLoad}, on its own platform thread with a blocking socket: it takes due
 * messages from the run's arrivals one at a time and sends each as MAIL, RCPT, DATA (no pipelining), connecting
 * (banner, EHLO) when it holds a message and has no connection, and quitting after {@code perConn} messages. Any
 * reply other than the expected one fails that message (4xx tempfail, 5xx permfail) and closes the connection, as
 * does an I/O error or a timeout (error); the next message reconnects. Every read is bounded by the socket timeout,
 * so a session always ends; {@link #abort()} cuts it off at the run's hard deadline.
 */
final class LoadSession implements Runnable {
    /** The run as a session sees it. */
    interface Arrivals {
        /** The next due message, or -1 when the run is over; waits only in bounded steps. */
        int take() throws InterruptedException;

        /** The session is done with the message it took. */
        void done();

        /** The session ends. */
        void left();

        long scheduledNanos(int k);
    }

    private static final int MAX_LINE = 4096;

    private final RateLoadOptions options;
    private final LoadMessage message;
    private final LoadResults results;
    private final Arrivals arrivals;
    private volatile Socket socket;
    private InputStream in;
    private OutputStream out;
    private int sentOnConnection;

    LoadSession(RateLoadOptions options, LoadMessage message, LoadResults results, Arrivals arrivals) {
        this.options = options;
        this.message = message;
        this.results = results;
        this.arrivals = arrivals;
    }

    @Override
    public void run() {
        try {
            for (int k = arrivals.take(); k >= 0; k = arrivals.take()) {
                try {
                    send(k);
                } finally {
                    arrivals.done();
                }
            }
            quit();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            close();
            arrivals.left();
        }
    }

    /** Closes the connection from another thread: a blocked read fails at once and the message counts as an error. */
    void abort() {
        close();
    }

    private void send(int k) {
        try {
            if (socket == null) {
                connect();
            }
            expect(command("MAIL FROM:<bench@load.test>"), 250);
            expect(command("RCPT TO:<" + message.recipient(k) + ">"), 250);
            expect(command("DATA"), 354);
            message.writeTo(out, k);
            out.flush();
            long dot = System.nanoTime();
            results.sent(k);
            int code = reply();
            long now = System.nanoTime();
            expect(code, 250);
            results.accepted(k, dot, arrivals.scheduledNanos(k), now, sentOnConnection + 1, arrivals.scheduledNanos(0));
            if (++sentOnConnection >= options.perConn()) {
                quit();
            }
        } catch (Rejected r) {
            results.failed(k, r.code / 100 == 4 ? LoadResults.TEMPFAIL
                    : r.code / 100 == 5 ? LoadResults.PERMFAIL : LoadResults.ERROR);
            close();
        } catch (IOException e) {
            results.failed(k, LoadResults.ERROR);
            close();
        }
    }

    private void connect() throws IOException {
        Socket s = new Socket();
        socket = s;
        s.setTcpNoDelay(true);
        s.setSoTimeout(timeoutMillis());
        s.connect(new InetSocketAddress(options.host(), options.port()), timeoutMillis());
        in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
        out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        sentOnConnection = 0;
        expect(reply(), 220);
        expect(command("EHLO load.test"), 250);
    }

    /** QUIT politely if connected; its reply is awaited (bounded) but does not matter. */
    private void quit() {
        if (socket == null) {
            return;
        }
        try {
            command("QUIT");
        } catch (IOException e) {
            // the connection ends either way
        }
        close();
    }

    private void close() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do: the socket is gone
            }
        }
    }

    private int command(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    /** Reads one (possibly multi-line) reply and returns its code. */
    private int reply() throws IOException {
        for (int lines = 0; lines < 100; lines++) {
            String line = line();
            if (line.length() < 3 || !Character.isDigit(line.charAt(0))) {
                throw new IOException("not a reply: " + line);
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return Integer.parseInt(line.substring(0, 3));
            }
            if (line.charAt(3) != '-') {
                throw new IOException("not a reply: " + line);
            }
        }
        throw new IOException("reply longer than 100 lines");
    }

    private String line() throws IOException {
        StringBuilder b = new StringBuilder(64);
        while (b.length() < MAX_LINE) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by the server");
            }
            if (c == '\n') {
                int end = b.length() > 0 && b.charAt(b.length() - 1) == '\r' ? b.length() - 1 : b.length();
                return b.substring(0, end);
            }
            b.append((char) c);
        }
        throw new IOException("reply line longer than " + MAX_LINE);
    }

    private static void expect(int code, int wanted) throws Rejected {
        // 251 (will forward) is as good as 250 for RCPT
        if (code != wanted && !(wanted == 250 && code == 251)) {
            throw new Rejected(code);
        }
    }

    private int timeoutMillis() {
        return (int) Math.min(Integer.MAX_VALUE, options.ioTimeout().toMillis());
    }

    /** An unexpected reply code. */
    private static final class Rejected extends IOException {
        private final int code;

        Rejected(int code) {
            super("reply " + code);
            this.code = code;
        }
    }
}
