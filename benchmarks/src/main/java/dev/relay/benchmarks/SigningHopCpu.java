package dev.relay.benchmarks;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What the hop to the signing scheduler and back costs, in process CPU per message at a fixed arrival rate (an
 * open loop, as the relay sees mail: the signing threads park between messages, which a closed JMH loop never
 * shows). Two event loops start {@code -Drate} messages per second between them; each message is signed
 * ({@link MessageSigningBenchmark#sign}) either {@code inline} on its event loop or, as {@code SlowSteps} does,
 * on a 2-thread parallel scheduler ({@code hop}) with the result handed back to the event loop; {@code none} only
 * hands a result back (the harness's own cost), {@code hop-empty} makes the hop with nothing to sign (the hop alone,
 * without the noise of the signature's CPU). Each mode runs 3 s of warm-up then 8 s measured, in the order given.
 *
 * <p>{@code java -Xms1g -Xmx1g -XX:+UseParallelGC -Drate=1400 -cp benchmarks/target/benchmarks.jar
 * dev.relay.benchmarks.SigningHopCpu none inline hop inline hop}
 */
public final class SigningHopCpu {

    private SigningHopCpu() {
    }

    public static void main(String[] args) throws Exception {
        MessageSigningBenchmark b = new MessageSigningBenchmark();
        b.setUp();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        int rate = Integer.getInteger("rate", 1400);
        List<String> modes = args.length > 0 ? List.of(args) : List.of("none", "inline", "hop", "inline", "hop");
        NioEventLoopGroup loops = new NioEventLoopGroup(2);
        Scheduler signing = Schedulers.newParallel("relay-dkim", 2);
        try {
            for (String mode : modes) {
                AtomicLong done = new AtomicLong();
                List<ScheduledFuture<?>> ticks = new ArrayList<>();
                long period = 2_000_000_000L / rate;
                for (int l = 0; l < 2; l++) {
                    EventLoop loop = loops.next();
                    ticks.add(loop.scheduleAtFixedRate(() -> start(mode, b, loop, signing, done), period, period,
                            TimeUnit.NANOSECONDS));
                }
                Thread.sleep(3000);
                long cpu0 = os.getProcessCpuTime();
                long n0 = done.get();
                long t0 = System.nanoTime();
                Thread.sleep(8000);
                long cpu1 = os.getProcessCpuTime();
                long n1 = done.get();
                long t1 = System.nanoTime();
                ticks.forEach(t -> t.cancel(false));
                Thread.sleep(300);
                System.out.printf("%-7s %7.0f msg/s  process CPU %7.1f us/msg%n", mode, (n1 - n0) * 1e9 / (t1 - t0),
                        (cpu1 - cpu0) / 1000.0 / (n1 - n0));
            }
        } finally {
            loops.shutdownGracefully();
            signing.dispose();
            b.tearDown();
        }
    }

    private static void start(String mode, MessageSigningBenchmark b, EventLoop loop, Scheduler signing,
            AtomicLong done) {
        switch (mode) {
            case "hop" -> Mono.fromCallable(b::sign).subscribeOn(signing)
                    .subscribe(outcome -> loop.execute(done::incrementAndGet));
            case "hop-empty" -> Mono.fromCallable(() -> mode).subscribeOn(signing)
                    .subscribe(outcome -> loop.execute(done::incrementAndGet));
            case "inline" -> {
                try {
                    b.sign();
                } catch (java.security.GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
                loop.execute(done::incrementAndGet);
            }
            default -> loop.execute(done::incrementAndGet);
        }
    }
}
