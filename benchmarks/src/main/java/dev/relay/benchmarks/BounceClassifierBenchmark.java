package dev.relay.benchmarks;

import dev.relay.engine.outcomes.BounceRule;
import dev.relay.engine.outcomes.BounceRules;
import dev.relay.engine.outcomes.Category;
import dev.relay.engine.outcomes.Classification;
import dev.relay.engine.outcomes.ReplyText;
import dev.relay.protocol.EnhancedStatus;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
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
 * Bounce classification, which runs on every non-2xx outcome: {@link BounceRules#classify} with the shipped rules
 * (precompiled, code/status checked before the regex, text bounded, regex reads budgeted) next to two baselines over
 * the same rules in the same order: the patterns precompiled but every regex tried on the plain text first (no
 * prefilter, no bound, no budget), and the usual naive code that compiles each pattern at use
 * ({@code Pattern.compile(rule).matcher(text.toLowerCase()).find()}). All three agree on every reply below (checked
 * at setup); those that no rule matches walk the whole list, the worst case. One op = the 12 replies.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BounceClassifierBenchmark {
    private static final String[] REPLIES = {
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
                + "550-5.1.1 double-checking the recipient's email address for typos or\n"
                + "550-5.1.1 unnecessary spaces. Learn more at\n"
                + "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d2si1234567qkb.12 - gsmtp",
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM0PR01MB1234.eurprd01.prod]",
        "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user"
                + " complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "450 4.2.0 <user@example.com>: Recipient address rejected: Greylisted, see"
                + " http://postgrey.schweikert.ch/help/example.com.html",
        "554 5.7.1 Service unavailable; Client host [192.0.2.25] blocked using zen.spamhaus.org;"
                + " https://www.spamhaus.org/query/ip/192.0.2.25",
        "552 5.2.2 <user@example.com> Quota exceeded (mailbox for user is full)",
        "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in local recipient table",
        "550 5.1.1 Recipient address rejected: user@example.com",
        "451 4.3.5 Server configuration problem",
        "421 4.7.0 Try again later, closing connection. a1si123 - gsmtp",
        "554 5.0.0 Service unavailable",
        "connect to mx.example.com[192.0.2.1]:25: Connection refused",
    };

    private final BounceRules rules = BounceRules.shipped();
    private final List<BounceRule> list = rules.rules();
    private final Pattern[] plain = list.stream()
            .map(r -> r.match() == null ? null : Pattern.compile(r.match().pattern(), Pattern.CASE_INSENSITIVE))
            .toArray(Pattern[]::new);
    private final ReplyText[] replies = new ReplyText[REPLIES.length];

    @Setup(Level.Trial)
    public void setUp() {
        for (int i = 0; i < REPLIES.length; i++) {
            replies[i] = ReplyText.parse(REPLIES[i]);
            ReplyText r = replies[i];
            Category ours = rules.classify(r.code(), r.status(), r.text()).category();
            Category a = plainPatterns(r);
            Category b = compileEachCall(r);
            if (a != null && a != ours || b != a) {
                throw new IllegalStateException("baselines disagree on " + REPLIES[i] + ": " + ours + " " + a + " "
                        + b);
            }
        }
    }

    @Benchmark
    public void rules(Blackhole blackhole) {
        for (ReplyText r : replies) {
            Classification c = rules.classify(r.code(), r.status(), r.text());
            blackhole.consume(c);
        }
    }

    @Benchmark
    public void baselinePrecompiledNoPrefilter(Blackhole blackhole) {
        for (ReplyText r : replies) {
            blackhole.consume(plainPatterns(r));
        }
    }

    @Benchmark
    public void baselineCompileEachCall(Blackhole blackhole) {
        for (ReplyText r : replies) {
            blackhole.consume(compileEachCall(r));
        }
    }

    /** The first rule whose regex, then code and status, match; null: none (the fallbacks are not timed). */
    private Category plainPatterns(ReplyText r) {
        for (int i = 0; i < plain.length; i++) {
            if ((plain[i] == null || plain[i].matcher(r.text()).find()) && conditions(list.get(i), r)) {
                return list.get(i).category();
            }
        }
        return null;
    }

    private Category compileEachCall(ReplyText r) {
        String lower = r.text().toLowerCase(Locale.ROOT);
        for (BounceRule rule : list) {
            if ((rule.match() == null || Pattern.compile(rule.match().pattern()).matcher(lower).find())
                    && conditions(rule, r)) {
                return rule.category();
            }
        }
        return null;
    }

    private static boolean conditions(BounceRule rule, ReplyText r) {
        String code = r.code() == 0 ? "" : Integer.toString(r.code());
        EnhancedStatus s = r.status();
        String status = s == null ? null : s.toString();
        if (rule.code() != null && !code.startsWith(rule.code())) {
            return false;
        }
        if (rule.status() == null) {
            return true;
        }
        if (status == null) {
            return false;
        }
        String p = rule.status().startsWith("x") ? status.charAt(0) + rule.status().substring(1) : rule.status();
        return status.startsWith(p) && (status.length() == p.length() || status.charAt(p.length()) == '.');
    }
}
