package dev.relay.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One client connection of {@link RateLoad}, a non-blocking channel driven by the run's selector thread alone (no
 * locking). It sends each message as MAIL, RCPT, DATA (no pipelining), connecting (banner, EHLO) for the message it
 * was opened for, and quits after {@code perConn} messages. Any reply other than the expected one fails that message
 * (4xx tempfail, 5xx permfail) and closes the connection, as does an I/O error or a reply that takes longer than
 * {@code ioTimeout} (error).
 */
final class LoadConnection {
    /** The run as a connection sees it; called on the selector thread. */
    interface Run {
        long scheduledNanos(int k);

        /** The connection is ready for another message (after its last message's 250). */
        void idle(LoadConnection connection);

        /** The connection is closed; the message it held, if any, is already recorded. */
        void closed(LoadConnection connection);
    }

    private enum State { CONNECTING, GREETING, EHLO, IDLE, MAIL, RCPT, DATA, CONTENT, QUIT, CLOSED }

    private static final int MAX_LINE = 4096;
    private static final int MAX_REPLY_LINES = 100;
    private static final byte[] EHLO = ascii("EHLO load.test\r\n");
    private static final byte[] MAIL = ascii("MAIL FROM:<bench@load.test>\r\n");
    private static final byte[] DATA = ascii("DATA\r\n");
    private static final byte[] QUIT = ascii("QUIT\r\n");

    private final RateLoadOptions options;
    private final LoadMessage message;
    private final LoadResults results;
    private final Run run;
    private final SocketChannel channel;
    private final SelectionKey key;
    private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    private final StringBuilder line = new StringBuilder(128);
    private final ByteArrayOutputStream content = new ByteArrayOutputStream(4096);
    private State state;
    private int k = -1;
    private int sentOnConnection;
    private int replyLines;
    private long dotNanos;
    /** When the awaited reply (or the connect) is overdue; 0 while nothing is awaited. */
    private long deadline;
    private ByteBuffer out;

    /** Opens a connection for message {@code k}; a failure to start connecting fails the message at once. */
    static LoadConnection open(Selector selector, RateLoadOptions options, LoadMessage message, LoadResults results,
                               Run run, int k, long now) throws IOException {
        SocketChannel channel = SocketChannel.open();
        try {
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            SelectionKey key = channel.register(selector, 0);
            LoadConnection c = new LoadConnection(options, message, results, run, channel, key, k, now);
            key.attach(c);
            if (channel.connect(new InetSocketAddress(options.host(), options.port()))) {
                c.connected(now);
            } else {
                key.interestOps(SelectionKey.OP_CONNECT);
            }
            return c;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private LoadConnection(RateLoadOptions options, LoadMessage message, LoadResults results, Run run,
                           SocketChannel channel, SelectionKey key, int k, long now) {
        this.options = options;
        this.message = message;
        this.results = results;
        this.run = run;
        this.channel = channel;
        this.key = key;
        this.k = k;
        this.state = State.CONNECTING;
        this.deadline = now + options.ioTimeout().toNanos();
    }

    /** Sends message {@code m} on this idle connection. */
    void send(int m, long now) {
        k = m;
        expect(State.MAIL, now);
        write(ByteBuffer.wrap(MAIL), now);
    }

    /** A polite QUIT for an idle connection at the end of the run. */
    void quit(long now) {
        expect(State.QUIT, now);
        write(ByteBuffer.wrap(QUIT), now);
    }

    /** Selector readiness. */
    void ready(long now) {
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                channel.finishConnect();
                connected(now);
                return;
            }
            if (key.isWritable()) {
                flush(now);
            }
            if (key.isValid() && key.isReadable()) {
                read(now);
            }
        } catch (Rejected r) {
            fail(r.code / 100 == 4 ? LoadResults.TEMPFAIL : r.code / 100 == 5 ? LoadResults.PERMFAIL
                    : LoadResults.ERROR);
        } catch (IOException e) {
            fail(LoadResults.ERROR);
        }
    }

    /** Fails the held message as an error if its reply is overdue. */
    void checkTimeout(long now) {
        if (deadline != 0 && now - deadline > 0) {
            fail(LoadResults.ERROR);
        }
    }

    /** Cuts the connection off (the run's hard deadline): a held message counts as an error. */
    void abort() {
        fail(LoadResults.ERROR);
    }

    private void connected(long now) {
        expect(State.GREETING, now);
        key.interestOps(SelectionKey.OP_READ);
    }

    private void expect(State next, long now) {
        state = next;
        replyLines = 0;
        deadline = now + options.ioTimeout().toNanos();
    }

    private void read(long now) throws IOException {
        in.clear();
        int n = channel.read(in);
        if (n < 0) {
            throw new IOException("connection closed by the server");
        }
        in.flip();
        while (in.hasRemaining() && state != State.CLOSED) {
            char c = (char) (in.get() & 0xff);
            if (c != '\n') {
                if (line.length() >= MAX_LINE) {
                    throw new IOException("reply line longer than " + MAX_LINE);
                }
                line.append(c);
                continue;
            }
            int end = line.length() > 0 && line.charAt(line.length() - 1) == '\r' ? line.length() - 1 : line.length();
            String text = line.substring(0, end);
            line.setLength(0);
            if (text.length() < 3 || !Character.isDigit(text.charAt(0))
                    || (text.length() > 3 && text.charAt(3) != ' ' && text.charAt(3) != '-')) {
                throw new IOException("not a reply: " + text);
            }
            if (text.length() > 3 && text.charAt(3) == '-') {
                if (++replyLines >= MAX_REPLY_LINES) {
                    throw new IOException("reply longer than " + MAX_REPLY_LINES + " lines");
                }
                continue;
            }
            int code;
            try {
                code = Integer.parseInt(text.substring(0, 3));
            } catch (NumberFormatException e) {
                throw new IOException("not a reply: " + text);
            }
            reply(code, now);
        }
    }

    private void reply(int code, long now) throws IOException {
        switch (state) {
            case GREETING -> {
                require(code, 220);
                expect(State.EHLO, now);
                write(ByteBuffer.wrap(EHLO), now);
            }
            case EHLO -> {
                require(code, 250);
                sentOnConnection = 0;
                send(k, now); // the message it was opened for
            }
            case MAIL -> {
                require(code, 250);
                expect(State.RCPT, now);
                write(ByteBuffer.wrap(ascii("RCPT TO:<" + message.recipient(k) + ">\r\n")), now);
            }
            case RCPT -> {
                // 251 (will forward) is as good as 250 for RCPT
                if (code != 251) {
                    require(code, 250);
                }
                expect(State.DATA, now);
                write(ByteBuffer.wrap(DATA), now);
            }
            case DATA -> {
                require(code, 354);
                content.reset();
                message.writeTo(content, k);
                expect(State.CONTENT, now);
                write(ByteBuffer.wrap(content.toByteArray()), now);
            }
            case CONTENT -> {
                long replied = System.nanoTime();
                require(code, 250);
                results.accepted(k, dotNanos, run.scheduledNanos(k), replied, sentOnConnection + 1,
                        run.scheduledNanos(0));
                k = -1;
                if (++sentOnConnection >= options.perConn()) {
                    quit(now);
                } else {
                    becomeIdle();
                }
            }
            case QUIT -> close();
            default -> throw new IOException("unexpected reply " + code + " in state " + state);
        }
    }

    private void becomeIdle() {
        state = State.IDLE;
        deadline = 0;
        run.idle(this);
    }

    private void write(ByteBuffer buffer, long now) {
        out = buffer;
        try {
            flush(now);
        } catch (IOException e) {
            fail(LoadResults.ERROR);
        }
    }

    private void flush(long now) throws IOException {
        channel.write(out);
        if (out.hasRemaining()) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            return;
        }
        key.interestOps(SelectionKey.OP_READ);
        if (state == State.CONTENT) {
            dotNanos = System.nanoTime();
            results.sent(k);
        }
    }

    private static void require(int code, int wanted) throws Rejected {
        if (code != wanted) {
            throw new Rejected(code);
        }
    }

    /** Records the held message (if any) as {@code kind} and closes. */
    private void fail(int kind) {
        if (state == State.CLOSED) {
            return;
        }
        if (k >= 0) {
            results.failed(k, kind);
            k = -1;
        }
        close();
    }

    private void close() {
        if (state == State.CLOSED) {
            return;
        }
        state = State.CLOSED;
        deadline = 0;
        key.cancel();
        try {
            channel.close();
        } catch (IOException e) {
            // nothing to do: the channel is gone
        }
        run.closed(this);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
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
