package dev.polystore.cli.command;

import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.migration.Migration;
import dev.polystore.migration.StoredItem;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code polystore get}: one item by key, as a line of the export format. */
@Command(name = "get", mixinStandardHelpOptions = true,
        description = {"Prints the live item at one key as stored, in the export format's JSON form:",
                "{\"store\":...,\"pk\":...,\"sk\":...,\"version\":N,\"expiresAt\":...,\"payload\":\"<base64>\"}",
                "(--json prints the same line; --decode adds the payload as UTF-8 text). Reads only."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:found", "1:no live item at that key", "2:usage error",
                "3:bad input (config, a store that does not exist, an invalid key)", "4:an engine failed"})
final class GetCommand implements Callable<Integer> {
    @ParentCommand
    Polystore parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption storage = new ConfigOption();

    @Mixin
    ItemArgs item = new ItemArgs();

    @Option(names = "--pk", required = true, paramLabel = "PK", description = "The partition key.")
    String pk;

    @Option(names = "--sk", required = true, paramLabel = "SK", description = "The sort key.")
    String sk;

    @Option(names = "--decode", description = "Also print the payload as UTF-8 text (field \"value\"; for JSON codecs).")
    boolean decode;

    @Mixin
    Polystore.Output output = new Polystore.Output();

    @Override
    public Integer call() {
        try (Storage s = parent.open(storage.config)) {
            Migration m = Migration.of(s);
            item.requireExists(m);
            Optional<StoredItem> found = StatsCommand.join(m.get(item.store, Key.of(pk, sk)));
            PrintWriter w = spec.commandLine().getOut();
            if (found.isEmpty()) {
                if (output.json) {
                    w.println("{\"command\":\"get\",\"found\":false}");
                } else if (!output.quiet) {
                    spec.commandLine().getErr().println("polystore: no live item at that key in store " + item.store);
                }
                w.flush();
                return Polystore.DIFFERENCES;
            }
            if (!output.quiet) {
                w.println(QueryCommand.line(item.store, found.get(), decode));
            }
            w.flush();
            return Polystore.OK;
        }
    }
}
