package dev.polystore.cli.command;

import dev.polystore.Capability;
import dev.polystore.cli.JobException;
import dev.polystore.migration.Migration;
import java.util.List;
import picocli.CommandLine.Option;

/** Which store to look at ({@code --store}), checked to exist where the backend can list its stores (a picocli mixin). */
final class ItemArgs {
    @Option(names = {"-s", "--store"}, required = true, paramLabel = "NAME", description = "The store.")
    String store;

    /** Refuses a store the backend does not have (exit code 3), so that looking never creates one. */
    void requireExists(Migration m) {
        if (m.capabilities().has(Capability.SCAN)) {
            List<String> existing = m.stores().join();
            if (!existing.contains(store)) {
                throw new JobException("store '" + store + "' does not exist (" + m.backend() + "); it has " + existing);
            }
        }
    }
}
