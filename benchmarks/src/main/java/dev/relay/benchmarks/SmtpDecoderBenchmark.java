package dev.relay.benchmarks;

import dev.relay.protocol.DataContent;
import dev.relay.protocol.DataEnd;
import dev.relay.protocol.SmtpCommand;
import dev.relay.protocol.SmtpServerDecoder;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * DATA framing and unstuffing, and command line decoding, through {@link SmtpServerDecoder} in an
 * {@link EmbeddedChannel}, each next to a naive String-based baseline so results read as ratios; and the command
 * line parser alone ({@link SmtpCommand#parse}) next to a regex. Content arrives in 16 KiB reads, as from a socket.
 * One op = one message (DATA) or 200 MAIL/RCPT lines (commands).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SmtpDecoderBenchmark {
    private static final int READ_SIZE = 16 * 1024;
    private static final int COMMAND_PAIRS = 100;

    /** Verb, then the argument after any spaces; what {@link SmtpCommand#parse} does, as a regex. */
    private static final Pattern COMMAND = Pattern.compile("([A-Za-z]+) *(.*)");

    private byte[] commandWire;
    private String[] commandLines;
    private Sink commandSink;
    private EmbeddedChannel commandChannel;

    @Setup(Level.Trial)
    public void setUp() {
        StringBuilder commands = new StringBuilder();
        for (int i = 0; i < COMMAND_PAIRS; i++) {
            commands.append("MAIL FROM:<bounces+").append(i).append("@lists.example.org> SIZE=48213 BODY=8BITMIME\r\n")
                    .append("RCPT TO:<recipient.").append(i).append("@mail.example.com>\r\n");
        }
        commandWire = commands.toString().getBytes(StandardCharsets.US_ASCII);
        commandLines = commands.toString().split("\r\n");
        commandSink = new Sink();
        commandChannel = new EmbeddedChannel(new SmtpServerDecoder(), commandSink);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        commandChannel.finishAndReleaseAll();
    }

    /** The message under test; only the DATA benchmarks depend on its size and shape. */
    @State(Scope.Thread)
    public static class Message {
        @Param({"2048", "20480", "1048576"})
        public int messageSize;

        /**
         * typical: 76-column lines, every 7th starting with a dot; longLines: 998-octet lines (the RFC 5322
         * maximum), every 7th with a dot; dots: 76-column lines that all start with a dot (a quoted-printable
         * or diff-like body), the worst case for unstuffing.
         */
        @Param({"typical", "longLines", "dots"})
        public String shape;

        byte[] wire;
        SmtpServerDecoder decoder;
        Sink sink;
        EmbeddedChannel channel;

        @Setup(Level.Trial)
        public void setUp() {
            int lineLength = shape.equals("longLines") ? 998 : 76;
            int dotEvery = shape.equals("dots") ? 1 : 7;
            wire = stuffedMessage(messageSize, lineLength, dotEvery).getBytes(StandardCharsets.US_ASCII);
            decoder = new SmtpServerDecoder();
            sink = new Sink();
            channel = new EmbeddedChannel(decoder, sink);
            // Both sides must produce the same content, or the ratio compares different work.
            decoder.expectData(Long.MAX_VALUE);
            feed(channel, wire);
            long naive = naiveUnstuff(wire);
            if (sink.bytes != naive || sink.messages != 1) {
                throw new IllegalStateException("decoder produced " + sink.bytes + " bytes in " + sink.messages
                        + " messages, naive " + naive);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            channel.finishAndReleaseAll();
        }
    }

    /**
     * Header, then lines of {@code lineLength} content characters (CRLF excluded), every {@code dotEvery}th
     * starting with a dot (stuffed on the wire), until {@code size} bytes; then the end marker.
     */
    static String stuffedMessage(int size, int lineLength, int dotEvery) {
        StringBuilder message = new StringBuilder(size + 2 * lineLength);
        message.append("From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: benchmark\r\n\r\n");
        int line = 0;
        while (message.length() < size) {
            int i = 0;
            if (line++ % dotEvery == 0) {
                message.append("..");
                i = 1;
            }
            for (; i < lineLength; i++) {
                message.append((char) ('a' + (line + i) % 26));
            }
            message.append("\r\n");
        }
        return message.append(".\r\n").toString();
    }

    @Benchmark
    public long dataFraming(Message message) {
        message.decoder.expectData(Long.MAX_VALUE);
        feed(message.channel, message.wire);
        return message.sink.bytes;
    }

    @Benchmark
    public long dataFramingNaive(Message message) {
        return naiveUnstuff(message.wire);
    }

    /** What a first attempt looks like: whole message as a String, split, unstuff, re-join, back to bytes. */
    static long naiveUnstuff(byte[] dataWire) {
        String text = new String(dataWire, StandardCharsets.US_ASCII);
        String body = text.substring(0, text.indexOf("\r\n.\r\n") + 2);
        StringBuilder out = new StringBuilder(body.length());
        for (String line : body.split("\r\n")) {
            out.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII).length;
    }

    @Benchmark
    public long commandDecoding() {
        feed(commandChannel, commandWire);
        return commandSink.commands;
    }

    @Benchmark
    public long commandDecodingNaive() {
        long count = 0;
        for (String line : new String(commandWire, StandardCharsets.US_ASCII).split("\r\n")) {
            int space = line.indexOf(' ');
            String verb = line.substring(0, space).toUpperCase(Locale.ROOT);
            String argument = line.substring(space + 1).trim();
            count += verb.length() + argument.length() > 0 ? 1 : 0;
        }
        return count;
    }

    /** The line parser alone (verb and argument of decoded lines), without framing or the pipeline. */
    @Benchmark
    public void commandParsing(Blackhole blackhole) {
        for (String line : commandLines) {
            blackhole.consume(SmtpCommand.parse(line));
        }
    }

    @Benchmark
    public void commandParsingRegex(Blackhole blackhole) {
        for (String line : commandLines) {
            Matcher m = COMMAND.matcher(line);
            if (m.matches()) {
                blackhole.consume(m.group(1).toUpperCase(Locale.ROOT));
                blackhole.consume(m.group(2));
            }
        }
    }

    /** Like a socket read: each 16 KiB lands in a pooled direct buffer (the copy is part of the cost). */
    private static void feed(EmbeddedChannel channel, byte[] wire) {
        for (int offset = 0; offset < wire.length; offset += READ_SIZE) {
            int length = Math.min(READ_SIZE, wire.length - offset);
            channel.writeInbound(PooledByteBufAllocator.DEFAULT.directBuffer(length).writeBytes(wire, offset, length));
        }
    }

    /** Stands in for the session: counts and releases. */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        long bytes;
        long commands;
        long messages;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof DataContent content) {
                bytes += content.content().readableBytes();
            } else if (msg instanceof SmtpCommand) {
                commands++;
            } else if (msg instanceof DataEnd) {
                messages++;
            }
            ReferenceCountUtil.release(msg);
        }
    }
}
