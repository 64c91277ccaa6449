package dev.relay.benchmarks;

import dev.relay.protocol.SmtpReply;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reply encoding as the server does it ({@link SmtpReply#encode}, what {@code SmtpReplyEncoder} calls) next to
 * {@code String.format(...).getBytes()} written into the same buffer. Three replies: a constant one ({@code 250
 * 2.0.0 Ok}, most replies are constants), the per-message {@code 250 2.0.0 Ok: queued as <id>} built and encoded
 * each time, and the multi-line EHLO reply. One op = one reply written.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReplyEncodingBenchmark {
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "Ok");
    private static final String QUEUE_ID = "06FQ1ZK3R5V8XJ0M4N2B7C9D1E";
    private static final List<String> EHLO_LINES = List.of("relay.example.org", "PIPELINING", "SIZE 52428800",
            "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "CHUNKING", "STARTTLS", "AUTH PLAIN LOGIN");
    private static final SmtpReply EHLO = new SmtpReply(250, null, EHLO_LINES);

    private ByteBuf out;

    @Setup(Level.Trial)
    public void setUp() {
        // Reused and cleared per op, as a channel's outbound buffer would be; direct like a socket write.
        out = PooledByteBufAllocator.DEFAULT.directBuffer(1024);
        // Each pair must write the same bytes, or the ratio compares different work.
        same(this::constantReply, this::constantReplyFormat);
        same(this::queuedReply, this::queuedReplyFormat);
        same(this::ehloReply, this::ehloReplyFormat);
    }

    private void same(IntSupplier encode, IntSupplier format) {
        String encoded = out.toString(0, encode.getAsInt(), StandardCharsets.UTF_8);
        String formatted = out.toString(0, format.getAsInt(), StandardCharsets.UTF_8);
        if (!encoded.equals(formatted)) {
            throw new IllegalStateException("encode wrote [" + encoded + "], format [" + formatted + "]");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        out.release();
    }

    @Benchmark
    public int constantReply() {
        out.clear();
        OK.encode(out);
        return out.writerIndex();
    }

    @Benchmark
    public int constantReplyFormat() {
        out.clear();
        out.writeBytes(String.format("%d %d.%d.%d %s\r\n", 250, 2, 0, 0, "Ok").getBytes(StandardCharsets.UTF_8));
        return out.writerIndex();
    }

    /** As the session does after COMMIT: {@code SmtpReply.of(250, "2.0.0", "Ok: queued as " + id)}, then encode. */
    @Benchmark
    public int queuedReply() {
        out.clear();
        SmtpReply.of(250, "2.0.0", "Ok: queued as " + QUEUE_ID).encode(out);
        return out.writerIndex();
    }

    @Benchmark
    public int queuedReplyFormat() {
        out.clear();
        out.writeBytes(String.format("%d %s %s\r\n", 250, "2.0.0", "Ok: queued as " + QUEUE_ID)
                .getBytes(StandardCharsets.UTF_8));
        return out.writerIndex();
    }

    @Benchmark
    public int ehloReply() {
        out.clear();
        EHLO.encode(out);
        return out.writerIndex();
    }

    @Benchmark
    public int ehloReplyFormat() {
        out.clear();
        int last = EHLO_LINES.size() - 1;
        for (int i = 0; i <= last; i++) {
            out.writeBytes(String.format("%d%c%s\r\n", 250, i == last ? ' ' : '-', EHLO_LINES.get(i))
                    .getBytes(StandardCharsets.UTF_8));
        }
        return out.writerIndex();
    }
}
