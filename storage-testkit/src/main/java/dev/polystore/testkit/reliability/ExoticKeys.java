package dev.polystore.testkit.reliability;

import java.util.ArrayList;
import java.util.List;

/**
 * The kit's awkward keys, for other suites and for tests of tools that move data (the migration
 * contract, {@code polystore copy}): sort keys with other query languages' wildcards, characters
 * at UTF-8 length boundaries and above U+FFFF, keys of exactly the maximum length, and partition
 * keys with the same traits (one of exactly 2048 bytes).
 */
public final class ExoticKeys {
    private ExoticKeys() {
    }

    /** Every sort key of the kit's key space, including one of exactly 1024 UTF-8 bytes. */
    public static List<String> sortKeys() {
        List<String> sks = new ArrayList<>();
        KeySpace.SORT_KEYS.forEach(n -> sks.add(n.value()));
        return List.copyOf(sks);
    }

    /** Three partition keys under namespace {@code ns}: plain, awkward, and exactly 2048 UTF-8 bytes. */
    public static List<String> partitions(String ns) {
        return KeySpace.partitions(ns);
    }
}
