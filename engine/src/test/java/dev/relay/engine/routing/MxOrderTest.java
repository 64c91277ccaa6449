package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MxOrderTest {
    private static final List<MxRecord> RECORDS = List.of(new MxRecord(30, "c.example"), new MxRecord(10, "b.example"),
            new MxRecord(20, "x.example"), new MxRecord(10, "a.example"), new MxRecord(20, "y.example"));

    @Test
    void lowerPreferenceComesFirst() {
        List<MxRecord> ordered = MxOrder.order(RECORDS, new Random(1));
        assertThat(ordered).extracting(MxRecord::preference).containsExactly(10, 10, 20, 20, 30);
    }

    @Test
    void equalPreferencesAreShuffled() {
        Random random = new Random(42);
        Set<String> first = new HashSet<>();
        Set<String> third = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            List<MxRecord> ordered = MxOrder.order(RECORDS, random);
            first.add(ordered.get(0).exchange());
            third.add(ordered.get(2).exchange());
        }
        assertThat(first).containsExactlyInAnyOrder("a.example", "b.example");
        assertThat(third).containsExactlyInAnyOrder("x.example", "y.example");
    }

    @Test
    void thePrimaryHostIsStableAmongEqualPreferences() {
        assertThat(MxOrder.primary(RECORDS).exchange()).isEqualTo("a.example");
        assertThat(MxOrder.primary(List.of(new MxRecord(5, "z.example")))).isEqualTo(new MxRecord(5, "z.example"));
    }

    @Test
    void theInputIsNotModified() {
        List<MxRecord> input = new java.util.ArrayList<>(RECORDS);
        MxOrder.order(input, new Random(3));
        assertThat(input).isEqualTo(RECORDS);
    }
}
