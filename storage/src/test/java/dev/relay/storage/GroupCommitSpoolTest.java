package dev.relay.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCommitSpoolTest {
    @Test
    void splitKeepsOrderAndCutsBeforeThePartWouldPassTheLimit() {
        assertThat(GroupCommitSpool.split(List.of(40L, 50L, 10L, 30L, 70L), Long::longValue, 100))
                .containsExactly(List.of(40L, 50L, 10L), List.of(30L, 70L));
    }

    @Test
    void anItemOverTheLimitGoesAloneAndEverythingFitsInOnePartUnderIt() {
        assertThat(GroupCommitSpool.split(List.of(5L, 500L, 5L), Long::longValue, 100))
                .containsExactly(List.of(5L), List.of(500L), List.of(5L));
        assertThat(GroupCommitSpool.split(List.of(1L, 2L, 3L), Long::longValue, 100))
                .containsExactly(List.of(1L, 2L, 3L));
        assertThat(GroupCommitSpool.split(List.of(7L), Long::longValue, 1)).containsExactly(List.of(7L));
    }

    @Test
    void everyStatementTextIsTheSameWhateverTheBatch() {
        // one text for every batch size is the point of STORE: no per-size parse and plan (issue 14)
        assertThat(GroupCommitSpool.STORE).doesNotContain("VALUES").contains("unnest(");
    }
}
