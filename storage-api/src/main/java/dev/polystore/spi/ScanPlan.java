package dev.polystore.spi;

import java.util.List;
import java.util.Objects;

/**
 * How a store is read in segments: one opaque start position per segment.
 *
 * @param positions exactly as many as the segments asked for; each starts an independent segment.
 *                  Together the segments cover the whole store and no key lies in two of them. A
 *                  position is an opaque ASCII string that stays valid across processes and
 *                  restarts (store it in a checkpoint); it may hold keys, so treat it like data
 * @param estimatedItems a cheap estimate of the store's item count (for progress and ETAs), or -1
 *                       if the engine offers none; never exact and never used for correctness
 */
public record ScanPlan(List<String> positions, long estimatedItems) {
    public ScanPlan {
        positions = List.copyOf(Objects.requireNonNull(positions, "positions"));
        if (positions.isEmpty()) {
            throw new IllegalArgumentException("a plan has at least one segment");
        }
    }
}
