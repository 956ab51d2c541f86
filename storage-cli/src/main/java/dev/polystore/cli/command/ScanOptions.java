package dev.polystore.cli.command;

import dev.polystore.cli.CopyOptions;
import picocli.CommandLine.Option;

/** How a command reads whole stores: {@code --segments} and {@code --page-size} (a picocli mixin). */
final class ScanOptions {
    @Option(names = "--segments", defaultValue = "4",
            description = "Segments each store is read in (1-256; default ${DEFAULT-VALUE}).")
    int segments;

    @Option(names = "--page-size", defaultValue = "500",
            description = "Items per page read, and per import call where the command writes (1-1000; default ${DEFAULT-VALUE}).")
    int pageSize;

    /** Refuses values out of range (exit code 3) before anything is opened. */
    void validate() {
        CopyOptions.defaults().withSegments(segments).withPageSize(pageSize);
    }
}
