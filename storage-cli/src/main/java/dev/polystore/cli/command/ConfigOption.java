package dev.polystore.cli.command;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The one storage a command looks at: {@code --config FILE} (a picocli mixin). */
final class ConfigOption {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE",
            description = "Config file of the storage (TOML, as StoreFactory reads it).")
    Path config;
}
