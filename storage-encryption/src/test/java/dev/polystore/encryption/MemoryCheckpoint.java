package dev.polystore.encryption;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A re-encryption checkpoint in memory, for tests. */
final class MemoryCheckpoint implements Reencryption.Checkpoint {
    final Map<String, List<String>> plans = new HashMap<>();
    final Map<String, String> positions = new HashMap<>();

    @Override
    public Optional<List<String>> plan(String store) {
        return Optional.ofNullable(plans.get(store));
    }

    @Override
    public void savePlan(String store, List<String> p) {
        plans.put(store, p);
    }

    @Override
    public Optional<String> position(String store, int segment) {
        return Optional.ofNullable(positions.get(store + "/" + segment));
    }

    @Override
    public void save(String store, int segment, String position) {
        positions.put(store + "/" + segment, position);
    }
}
