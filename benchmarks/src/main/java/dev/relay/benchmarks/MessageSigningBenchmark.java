package dev.relay.benchmarks;

import dev.relay.engine.config.DkimConfig;
import dev.relay.engine.dkim.DkimKeyring;
import dev.relay.engine.dkim.DkimProviders;
import dev.relay.engine.dkim.MessageSigning;
import dev.relay.protocol.dkim.DkimAlgorithm;
import dev.relay.protocol.dkim.HeaderSection;
import dev.relay.storage.DkimKeyRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
import reactor.core.publisher.Flux;

/**
 * The whole per-message signing step of the relay, as {@code SlowSteps} runs it on the signing scheduler:
 * {@link MessageSigning#sign} (header parse, From domain, keyring lookup, body hash, both signatures, the folded
 * fields) of a message shaped like the end-to-end load's (2 KiB, {@code From: <bench@load.test>}), whose content is
 * what the session hands over: our Received field on top of the client's bytes in pooled direct buffers. The keys are
 * those of the bench ({@code relay system dkim generate load.test}: Ed25519 and RSA-2048), opened by the relay's own
 * {@link DkimKeyring} with the providers {@link DkimProviders#choose()} picks. One op = one message signed.
 *
 * <p>{@code main}: the thread CPU time per message (the figure to trust on a shared machine, see
 * {@link DkimSigningCpu}), and of the header parse alone:
 * {@code java -cp benchmarks/target/benchmarks.jar dev.relay.benchmarks.MessageSigningBenchmark}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MessageSigningBenchmark {

    private final Instant now = Instant.parse("2026-12-05T01:40:00Z");
    private MessageSigning signing;
    private CompositeByteBuf message;

    @Setup(Level.Trial)
    public void setUp() throws GeneralSecurityException, IOException {
        List<DkimKeyRecord> records = new ArrayList<>();
        for (DkimAlgorithm algorithm : List.of(DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256)) {
            KeyPair pair = DkimProviders.generate(algorithm);
            Instant from = now.minusSeconds(60);
            records.add(new DkimKeyRecord("load.test", "bench-" + algorithm.keyType(), algorithm.tag(),
                    pair.getPrivate().getEncoded(), false, pair.getPublic().getEncoded(), from, null, null, from));
        }
        DkimKeyring keyring = new DkimKeyring(() -> Flux.fromIterable(records), null, DkimProviders.choose());
        if (keyring.refresh().block() != 2) {
            throw new IllegalStateException("the keyring did not open both keys");
        }
        signing = new MessageSigning(keyring, DkimConfig.MissingKey.SEND_UNSIGNED, MessageSigning.FallbackDomain.NONE);
        message = message(2048);
        if (!(signing.sign(message, null, now) instanceof MessageSigning.Signed)) {
            throw new IllegalStateException("the message was not signed");
        }
    }

    /** The content as the session hands it over: Received (heap) on top of the client's bytes (direct, 1 KiB reads). */
    static CompositeByteBuf message(int size) throws IOException {
        ByteArrayOutputStream client = new ByteArrayOutputStream();
        new LoadMessage("bench", size).writeTo(client, 1);
        byte[] bytes = client.toByteArray();
        int length = bytes.length - 3; // without the final ".\r\n"
        CompositeByteBuf content = ByteBufAllocator.DEFAULT.compositeDirectBuffer(64);
        for (int at = 0; at < length; at += 1024) {
            int n = Math.min(1024, length - at);
            ByteBuf read = ByteBufAllocator.DEFAULT.directBuffer(n);
            read.writeBytes(bytes, at, n);
            content.addComponent(true, read);
        }
        byte[] received = ("Received: from load.example (localhost [127.0.0.1])\r\n\tby relay.bench with ESMTP id "
                + "01JEXAMPLE0000000000000000\r\n\tfor <user1@example.test>; Sat, 05 Dec 2026 01:40:00 +0000\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        content.addComponent(true, 0, Unpooled.wrappedBuffer(received));
        return content;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        message.release();
    }

    @Benchmark
    public MessageSigning.Outcome sign() throws GeneralSecurityException {
        return signing.sign(message, null, now);
    }

    /** The header parse alone (the signer's; MessageAcceptance parses its first 64 KiB once more, before). */
    @Benchmark
    public HeaderSection parseHeader() {
        return HeaderSection.parse(message);
    }

    public static void main(String[] args) throws Exception {
        MessageSigningBenchmark b = new MessageSigningBenchmark();
        b.setUp();
        System.out.printf("%-22s %12s %12s %12s%n", "step", "cpu us/msg", "min", "max");
        DkimSigningCpu.print("MessageSigning.sign", () -> b.sign());
        DkimSigningCpu.print("HeaderSection.parse", () -> b.parseHeader());
        b.tearDown();
    }
}
