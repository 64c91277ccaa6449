package dev.relay.benchmarks;

import dev.relay.protocol.PathParser;
import dev.relay.protocol.PathResult;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * MAIL FROM and RCPT TO argument parsing: {@link PathParser} (RFC 5321 paths, RFC 6531 UTF-8, ESMTP parameters)
 * next to the usual regex: path between angle brackets, then a "good enough" address pattern, parameters split
 * on spaces. The regex does less (no quoted local parts, no address literals or UTF-8, no length limits, no
 * parameter checks) and rejects some valid addresses, so the ratio flatters it. One op = the 8 arguments below.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AddressParsingBenchmark {
    private static final Pattern PATH = Pattern.compile("(?i)(FROM|TO): *<([^>]*)>(.*)");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");

    /** A realistic mix: bounce addresses with VERP tags, parameters, a quoted local part, an address literal. */
    private static final String[] MAIL = {
        "FROM:<bounces+1234-abcd=example.com@lists.example.org> SIZE=48213 BODY=8BITMIME",
        "FROM:<noreply@notifications.service.example.com> SIZE=2048",
        "FROM:<>",
        "FROM:<\"john smith\"@example.org>",
    };
    private static final String[] RCPT = {
        "TO:<recipient.name@mail.example.com>",
        "TO:<first.last+tag@subdomain.example.co.uk>",
        "TO:<user@[192.0.2.10]>",
        "TO:<Postmaster>",
    };

    @Setup(Level.Trial)
    public void setUp() {
        // Every argument must parse, or the parser would be measuring its error path.
        for (String m : MAIL) {
            if (!(PathParser.mailFrom(m, false) instanceof PathResult.Ok)) {
                throw new IllegalStateException("rejected: " + m);
            }
        }
        for (String r : RCPT) {
            if (!(PathParser.rcptTo(r, false) instanceof PathResult.Ok)) {
                throw new IllegalStateException("rejected: " + r);
            }
        }
    }

    @Benchmark
    public void pathParser(Blackhole blackhole) {
        for (String m : MAIL) {
            blackhole.consume(PathParser.mailFrom(m, false));
        }
        for (String r : RCPT) {
            blackhole.consume(PathParser.rcptTo(r, false));
        }
    }

    @Benchmark
    public void regex(Blackhole blackhole) {
        for (String m : MAIL) {
            naive(m, blackhole);
        }
        for (String r : RCPT) {
            naive(r, blackhole);
        }
    }

    private static void naive(String argument, Blackhole blackhole) {
        Matcher path = PATH.matcher(argument.strip());
        if (!path.matches()) {
            blackhole.consume(false);
            return;
        }
        String address = path.group(2);
        blackhole.consume(address.isEmpty() || ADDRESS.matcher(address).matches());
        int at = address.lastIndexOf('@');
        blackhole.consume(at < 0 ? address : address.substring(at + 1).toLowerCase(java.util.Locale.ROOT));
        for (String parameter : path.group(3).trim().split(" +")) {
            blackhole.consume(parameter);
        }
    }
}
