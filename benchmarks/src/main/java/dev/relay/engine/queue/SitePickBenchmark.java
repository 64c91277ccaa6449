package dev.relay.engine.queue;

import dev.relay.engine.config.SiteLimits;
import dev.relay.engine.config.TlsMode;
import dev.relay.engine.routing.NextHop;
import dev.relay.engine.shaping.Shaping;
import dev.relay.engine.shaping.SiteThrottle;
import dev.relay.engine.shaping.SiteShaping;
import dev.relay.storage.ClaimedMessage;
import dev.relay.storage.ClaimedRecipient;
import dev.relay.storage.MessageId;
import dev.relay.storage.Priority;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scheduler's pick of the next delivery to start, with a backlog over 10,000 sites (this class lives in the
 * engine's package to reach the package-private {@link SiteQueue}; nothing in the engine was opened for it).
 *
 * <p>Steady state of a busy relay: every site runs at its connection limit (2) with 10 jobs waiting, a mix of
 * transactional and bulk. One op = a delivery at a random site ends, the scheduler picks the next job for that
 * site's free slot, and a new job arrives for the site (the picked value goes back in, so the state and the
 * allocation stay steady).
 *
 * <ul>
 *   <li>{@link #siteQueues}: what {@code SiteDispatcher} does: look the site's queue up in the map, {@code
 *       finished}, {@code start} (transactional lane first, the job's connection limit resolved through a fixed
 *       {@link Shaping}), {@code add}.
 *   <li>{@link #globalPriorityQueue}: the naive design, one {@link PriorityQueue} of all 100,000 jobs ordered by
 *       priority then arrival, and per-site running counts: poll until a job whose site has a free slot, put the
 *       skipped ones back. It must skip every waiting job of a saturated site ahead of the one it can start.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SitePickBenchmark {
    private static final int SITES = 10_000;
    private static final int WAITING_PER_SITE = 10;
    private static final int CONNECTION_LIMIT = 2;
    private static final int ORDER = 1 << 16;
    /** One in five jobs is transactional. */
    private static final int TRANSACTIONAL_EVERY = 5;

    private String[] siteNames;
    private int[] order;
    private int cursor;
    private final long now = System.nanoTime();

    private Map<String, SiteQueue> sites;
    private Shaping shaping;

    private PriorityQueue<Job> global;
    private int[] running;
    private long sequence;
    private final List<Job> skipped = new ArrayList<>();

    /** A job of the naive design: its site, priority and arrival order. */
    static final class Job {
        final int site;
        final Priority priority;
        long sequence;

        Job(int site, Priority priority, long sequence) {
            this.site = site;
            this.priority = priority;
            this.sequence = sequence;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        SiteLimits siteLimits = new SiteLimits(CONNECTION_LIMIT, 100, 100, Duration.ofSeconds(30),
                Duration.ofSeconds(30), Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(3),
                Duration.ofMinutes(10), TlsMode.OPPORTUNISTIC);
        SiteShaping siteShaping = new SiteShaping(siteLimits, null, null, List.of(Duration.ofMinutes(5)), List.of());
        shaping = Shaping.fixed(siteShaping);
        Function<DeliveryJob, SiteShaping> limits = job -> siteShaping;
        siteNames = new String[SITES];
        sites = new ConcurrentHashMap<>();
        global = new PriorityQueue<>(SITES * WAITING_PER_SITE, Comparator.<Job, Priority>comparing(j -> j.priority)
                .thenComparingLong(j -> j.sequence));
        running = new int[SITES];
        List<NextHop> hops = List.of();
        int n = 0;
        for (int s = 0; s < SITES; s++) {
            String name = "mx.site-" + s + ".example.net";
            siteNames[s] = name;
            SiteQueue queue = newQueue(name);
            sites.put(name, queue);
            String domain = "domain-" + s + ".example.com";
            // The connection slots are full, as a busy relay would have them: these jobs run, outside the queues.
            for (int j = 0; j < CONNECTION_LIMIT; j++) {
                queue.add(new SiteQueue.Ready(job(domain, Priority.BULK), hops));
                queue.start(limits, 1, now);
                running[s]++;
            }
            for (int j = 0; j < WAITING_PER_SITE; j++) {
                Priority priority = n++ % TRANSACTIONAL_EVERY == 0 ? Priority.TRANSACTIONAL : Priority.BULK;
                queue.add(new SiteQueue.Ready(job(domain, priority), hops));
                global.add(new Job(s, priority, sequence++));
            }
        }
        SplittableRandom random = new SplittableRandom(42);
        order = new int[ORDER];
        for (int i = 0; i < ORDER; i++) {
            order[i] = random.nextInt(SITES);
        }
    }

    private SiteQueue newQueue(String name) {
        return new SiteQueue(name, new SiteThrottle(shaping.resolve(name, ""), System::nanoTime, kind -> { }),
                System.nanoTime());
    }

    private static DeliveryJob job(String domain, Priority priority) {
        ClaimedRecipient recipient = new ClaimedRecipient(0, "user@" + domain, domain, 0);
        ClaimedMessage message = new ClaimedMessage(MessageId.newId(), "sender@example.org", priority,
                Instant.EPOCH, 2048, false, false, List.of(recipient));
        return new DeliveryJob(message, domain, List.of(recipient));
    }

    @Benchmark
    public SiteQueue.Ready siteQueues() {
        String site = siteNames[order[cursor++ & (ORDER - 1)]];
        // The calls SiteDispatcher.route and dispatch make, lambdas included; only the clock is read once.
        SiteQueue queue = sites.computeIfAbsent(site, this::newQueue);
        queue.finished(now, 1);
        SiteQueue.Step step = queue.start(job -> shaping.resolve(queue.site(), job.domain()), 1, now);
        SiteQueue.Ready next = ((SiteQueue.Step.Start) step).ready();
        queue.offer(next, Integer.MAX_VALUE);
        return next;
    }

    @Benchmark
    public Job globalPriorityQueue() {
        int site = order[cursor++ & (ORDER - 1)];
        running[site]--;
        Job next = pollStartable();
        running[next.site]++;
        next.sequence = sequence++;
        global.add(next);
        return next;
    }

    /** The first job in priority order whose site has a free slot; the ones skipped go back. */
    private Job pollStartable() {
        Job job;
        while ((job = global.poll()) != null && running[job.site] >= CONNECTION_LIMIT) {
            skipped.add(job);
        }
        global.addAll(skipped);
        skipped.clear();
        if (job == null) {
            throw new IllegalStateException("no startable job: the benchmark's state is broken");
        }
        return job;
    }
}
