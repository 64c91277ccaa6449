package dev.relay.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;

/**
 * The CPU time (not wall time) of one DKIM-signed message per provider and key set, measured with the thread's CPU
 * clock: on a machine shared with other work, JMH's wall-clock averages include time this thread spent waiting for a
 * core; the thread CPU time is what signing costs the relay. Same setup as {@link DkimSigningBenchmark}; each
 * combination warms up for 3 s of CPU, then runs 5 rounds of 2 s of CPU and prints the median and range.
 *
 * <p>{@code java [-Dsize=BYTES] [-DkeyObject=jdk] -cp benchmarks/target/benchmarks.jar dev.relay.benchmarks.DkimSigningCpu [PROVIDER...]}
 */
public final class DkimSigningCpu {

    private static final long WARMUP_NANOS = 3_000_000_000L;
    private static final long ROUND_NANOS = 2_000_000_000L;
    private static final int ROUNDS = 5;

    private DkimSigningCpu() {
    }

    /** One operation measured. */
    @FunctionalInterface
    interface Op {
        void run() throws Exception;
    }

    /** Prints the median, min and max CPU microseconds per call of {@code op} on one line labelled {@code label}. */
    static void print(String label, Op op) throws Exception {
        double[] perOp = cpuPerOp(op);
        System.out.printf("%-22s %12.1f %12.1f %12.1f%n", label, perOp[ROUNDS / 2], perOp[0], perOp[ROUNDS - 1]);
    }

    /** The thread CPU microseconds per call of {@code op} in each round, sorted, after the warm-up. */
    static double[] cpuPerOp(Op op) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long start = threads.getCurrentThreadCpuTime();
        while (threads.getCurrentThreadCpuTime() - start < WARMUP_NANOS) {
            op.run();
        }
        double[] perOp = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long ops = 0;
            long begin = threads.getCurrentThreadCpuTime();
            long now = begin;
            while (now - begin < ROUND_NANOS) {
                for (int i = 0; i < 10; i++) {
                    op.run();
                }
                ops += 10;
                now = threads.getCurrentThreadCpuTime();
            }
            perOp[r] = (now - begin) / 1000.0 / ops;
        }
        java.util.Arrays.sort(perOp);
        return perOp;
    }

    public static void main(String[] args) throws Exception {
        int size = Integer.getInteger("size", 2048);
        List<String> providers = args.length > 0 ? List.of(args) : List.of("jdk", "bc", "accp", "conscrypt");
        System.out.println("message size " + size + " bytes");
        System.out.printf("%-10s %-8s %12s %12s %12s%n", "provider", "keys", "cpu us/msg", "min", "max");
        for (String provider : providers) {
            for (String keys : List.of("ed25519", "rsa", "both")) {
                DkimSigningBenchmark b = new DkimSigningBenchmark();
                b.provider = provider;
                b.keys = keys;
                b.size = size;
                b.keyObject = System.getProperty("keyObject", "provider");
                try {
                    b.setUp();
                } catch (Exception e) {
                    System.out.printf("%-10s %-8s %12s%n", provider, keys, "n/a: " + e.getClass().getSimpleName());
                    continue;
                }
                double[] perOp = cpuPerOp(b::sign);
                System.out.printf("%-10s %-8s %12.1f %12.1f %12.1f%n", provider, keys, perOp[ROUNDS / 2], perOp[0],
                        perOp[ROUNDS - 1]);
            }
        }
    }
}
