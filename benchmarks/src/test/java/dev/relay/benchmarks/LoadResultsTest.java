package dev.relay.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LoadResultsTest {
    @Test
    void percentilesAreNearestRankOverAllSamples() {
        int[] micros = IntStream.rangeClosed(1, 1000).toArray();
        assertThat(LoadResults.pct(micros, 0.50)).isEqualTo("0.500");
        assertThat(LoadResults.pct(micros, 0.99)).isEqualTo("0.990");
        assertThat(LoadResults.pct(micros, 0.999)).isEqualTo("0.999");
        assertThat(LoadResults.pct(micros, 1.0)).isEqualTo("1.000");
        // few samples: p999 of 3 is the largest, not an interpolation past it
        assertThat(LoadResults.pct(new int[] {1000, 2000, 3000}, 0.999)).isEqualTo("3.000");
        assertThat(LoadResults.pct(new int[0], 0.5)).isEqualTo("-");
    }

    @Test
    void summaryCountsOnlyTheWindowAndMeasuresResponseFromTheScheduledTime() {
        LoadResults r = new LoadResults(6);
        long ms = 1_000_000L;
        // message 0 is warm-up: left out of the window
        r.sent(0);
        r.accepted(0, 0, 0, 900 * ms, 1, 0);
        // 1 and 2 accepted: 1 ms of service each, but 2 waited 50 ms for a session
        r.sent(1);
        r.accepted(1, 10 * ms, 9 * ms, 11 * ms, 1, 0);
        r.sent(2);
        r.accepted(2, 60 * ms, 10 * ms, 61 * ms, 1, 0);
        r.failed(3, LoadResults.TEMPFAIL);
        r.failed(4, LoadResults.ERROR);
        r.accepted(4, 0, 0, 1, 1, 0); // the first outcome wins
        // 5: never sent

        Map<String, String> f = fields(r.summary(1, 6, 9 * ms, 100));

        assertThat(f).containsEntry("scheduled", "5").containsEntry("sent", "2").containsEntry("accepted", "2")
                .containsEntry("tempfail", "1").containsEntry("permfail", "0").containsEntry("errors", "1")
                .containsEntry("unfinished", "1").containsEntry("service_p50_ms", "1.000")
                .containsEntry("service_max_ms", "1.000").containsEntry("response_p50_ms", "2.000")
                .containsEntry("response_max_ms", "51.000").containsEntry("rate_target", "100.0");
        // 2 accepted between 9 ms (first measured arrival) and 900 ms (the last 250, warm-up's included)
        assertThat(f.get("rate_achieved")).isEqualTo("2.2");
    }

    @Test
    void theTracePlacesEveryAcceptedMessageOfTheWindowInTime(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        LoadResults r = new LoadResults(4);
        long ms = 1_000_000L;
        long start = 5 * ms;
        r.accepted(0, 6 * ms, 5 * ms, 7 * ms, 1, start); // warm-up: left out
        r.accepted(1, 1005 * ms, 1000 * ms, 1205 * ms, 2, start); // a 200 ms stall one second in
        r.failed(2, LoadResults.ERROR); // not accepted: no line
        r.accepted(3, 2005 * ms, 2004 * ms, 2006 * ms, 1, start);

        java.nio.file.Path file = dir.resolve("trace.txt");
        r.writeTrace(file, 1, 4, "");

        assertThat(java.nio.file.Files.readAllLines(file)).containsExactly(
                "1 1000.000 200.000 205.000 2", "3 2000.000 1.000 2.000 1");

        r.writeTrace(file, 1, 4, "start_epoch_ms=1796449610740");
        assertThat(java.nio.file.Files.readAllLines(file)).containsExactly("# start_epoch_ms=1796449610740",
                "1 1000.000 200.000 205.000 2", "3 2000.000 1.000 2.000 1");
    }

    @Test
    void onlyFailuresAreFailures() {
        assertThatThrownBy(() -> new LoadResults(1).failed(0, LoadResults.ACCEPTED))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static Map<String, String> fields(String line) {
        Map<String, String> f = new HashMap<>();
        Arrays.stream(line.trim().split(" +")).forEach(kv -> {
            int eq = kv.indexOf('=');
            f.put(kv.substring(0, eq), kv.substring(eq + 1));
        });
        return f;
    }
}
