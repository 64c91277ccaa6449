package dev.relay.engine.routing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/** RFC 5321 5.1 ordering of MX records. */
final class MxOrder {
    private static final Comparator<MxRecord> PREFERRED_THEN_NAME =
            Comparator.comparingInt(MxRecord::preference).thenComparing(MxRecord::exchange);

    private MxOrder() {
    }

    /**
     * Lowest preference first; hosts of equal preference in random order, so load spreads over them. Shuffled per
     * call, not per cached answer, or every delivery within one TTL would go to the same host.
     */
    static List<MxRecord> order(List<MxRecord> records, Random random) {
        List<MxRecord> sorted = new ArrayList<>(records);
        sorted.sort(Comparator.comparingInt(MxRecord::preference));
        int start = 0;
        while (start < sorted.size()) {
            int end = start + 1;
            while (end < sorted.size() && sorted.get(end).preference() == sorted.get(start).preference()) {
                end++;
            }
            Collections.shuffle(sorted.subList(start, end), random);
            start = end;
        }
        return sorted;
    }

    /**
     * The most preferred host, ties broken by name rather than at random: the site is named after it, and a site
     * name must not change from one lookup to the next.
     */
    static MxRecord primary(List<MxRecord> records) {
        return records.stream().min(PREFERRED_THEN_NAME).orElseThrow();
    }
}
