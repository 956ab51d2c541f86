package dev.polystore.testkit.broken;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;

/** The bounded-mode contract catches a bound that evicts first-in-first-out instead of by use. */
class LruCatchesBrokenBoundTest {

    @Test
    @DisplayName("a FIFO bound fails exactly the tests where a use must change the order")
    void fifoIsCaught() {
        Set<String> failed = new TreeSet<>();
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(BrokenBoundRuns.FifoRun.class)).execute().testEvents().failed()
                .list().forEach(e -> failed.add(e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
                        .map(s -> ((MethodSource) s).getMethodName()).orElse("?")));
        assertEquals(Set.of("getIsAUse", "writeIsAUse", "batchGetIsAUse", "evictionIsNotExpiry"), failed);
    }
}
