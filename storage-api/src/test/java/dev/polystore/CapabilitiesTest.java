package dev.polystore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void noneDeclaresNothingAndHasNoLimits() {
        Capabilities none = Capabilities.none();
        for (Capability c : Capability.values()) {
            assertFalse(none.has(c), c.name());
        }
        assertEquals(new Capabilities(Set.of(), 0, 0, 0, 0), none);
        assertEquals(none, Capabilities.builder().build());
    }

    @Test
    void transactionsSpanPartitionsUnlessTheBuilderSaysOtherwise() {
        assertTrue(Capabilities.none().transactionsAcrossPartitions());
        assertTrue(new Capabilities(EnumSet.of(Capability.TRANSACTIONS), 10, 100, 0, 0).transactionsAcrossPartitions());
        Capabilities cluster = Capabilities.builder().transactions(10, 100).transactionsWithinOnePartition().build();
        assertFalse(cluster.transactionsAcrossPartitions());
        assertEquals(new Capabilities(EnumSet.of(Capability.TRANSACTIONS), 10, 100, 0, 0, false), cluster);
    }

    @Test
    void limitsOfUndeclaredCapabilitiesAreZeroWhateverWasPassed() {
        // What callers passed before batch limits became optional still works, and reads as 0.
        Capabilities caps = new Capabilities(EnumSet.of(Capability.EXPIRY), 100, 4096, 100, 25);
        assertEquals(0, caps.maxTransactionItems());
        assertEquals(0, caps.maxTransactionBytes());
        assertEquals(0, caps.maxBatchGetItems());
        assertEquals(0, caps.maxBatchWriteItems());
        assertTrue(caps.has(Capability.EXPIRY));
    }

    @Test
    void declaredCapabilitiesNeedPositiveLimits() {
        assertThrows(IllegalArgumentException.class, () -> new Capabilities(EnumSet.of(Capability.BATCH), 0, 0, 0, 25));
        assertThrows(IllegalArgumentException.class,
                () -> new Capabilities(EnumSet.of(Capability.TRANSACTIONS), 0, 10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Capabilities(Set.of(), -1, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> Capabilities.builder().batch(0, 1));
        assertThrows(IllegalArgumentException.class, () -> Capabilities.builder().transactions(1, 0));
    }

    @Test
    void builderDeclaresEachCapabilityOnce() {
        Capabilities caps = Capabilities.builder().transactions(100, 4L << 20).batch(100, 25).expiry().nativeSearch()
                .changeNotifications().scan().importItems().nativeIndexes().build();
        assertEquals(EnumSet.allOf(Capability.class), EnumSet.copyOf(caps.supported()));
        assertEquals(new Capabilities(EnumSet.allOf(Capability.class), 100, 4L << 20, 100, 25), caps);
        IllegalStateException twice = assertThrows(IllegalStateException.class, () -> Capabilities.builder().expiry().expiry());
        assertTrue(twice.getMessage().contains("EXPIRY"), twice.getMessage());
    }
}
