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

/**
 * DATA framing and unstuffing, and command line decoding, through {@link SmtpServerDecoder} in an
 * {@link EmbeddedChannel}, each next to a naive String-based baseline so results read as ratios.
 * Content arrives in 16 KiB reads, as from a socket.
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

    private byte[] commandWire;
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
        commandSink = new Sink();
        commandChannel = new EmbeddedChannel(new SmtpServerDecoder(), commandSink);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        commandChannel.finishAndReleaseAll();
    }

    /** The message under test; only the DATA benchmarks depend on its size. */
    @State(Scope.Thread)
    public static class Message {
        @Param({"2048", "20480", "1048576"})
        public int messageSize;

        byte[] wire;
        SmtpServerDecoder decoder;
        Sink sink;
        EmbeddedChannel channel;

        @Setup(Level.Trial)
        public void setUp() {
            wire = stuffedMessage(messageSize).getBytes(StandardCharsets.US_ASCII);
            decoder = new SmtpServerDecoder();
            sink = new Sink();
            channel = new EmbeddedChannel(decoder, sink);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            channel.finishAndReleaseAll();
        }
    }

    /** 76-column lines, every 7th starting with a dot (stuffed on the wire), then the end marker. */
    static String stuffedMessage(int size) {
        StringBuilder message = new StringBuilder(size + 128);
        message.append("From: sender@example.org\r\nTo: rcpt@example.com\r\nSubject: benchmark\r\n\r\n");
        int line = 0;
        while (message.length() < size) {
            if (line++ % 7 == 0) {
                message.append("..");
            }
            for (int i = 0; i < 74; i++) {
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
        byte[] dataWire = message.wire;
        // What a first attempt looks like: whole message as a String, split, unstuff, re-join.
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
